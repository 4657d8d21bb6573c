#!/usr/bin/python3
"""Where flint's CPU goes: buckets the call stacks of `perf script` output (from `perf record
--call-graph dwarf -p <flint>`) into the costs that matter per certificate, and lists the hottest
leaf functions. Each sample goes to the FIRST bucket below that any frame of its stack matches,
so the order encodes precedence (an fsync under a nonce redemption counts as fsync).
usage: perf_summary.py PERF_SCRIPT_OUTPUT"""

import collections
import re
import sys

BUCKETS = [
    ("fsync/fdatasync in the kernel (SQLite commits)", ["fdatasync", "fsync"]),
    ("SQLite statement preparation (sqlite3_prepare*)", ["sqlite3_prepare"]),
    ("nonce redemption (NonceService::Redeem; a SQLite write only with --shared-nonces)",
     ["NonceService::Redeem"]),
    ("other SQLite writes (SqliteStore::Write)", ["SqliteStore::Write", "LeadBatch"]),
    ("SQLite reads (SqliteStore::Read)", ["SqliteStore::Read"]),
    ("ECDSA verification of JWS signatures (jose, EVP_DigestVerify)", ["DigestVerify"]),
    ("other JWS work: parsing, JWK import, thumbprints (jose)", ["jose::"]),
    ("CSR parsing + signature check (ca::ParseCsr)", ["ParseCsr"]),
    ("certificate assembly + signing (ca::Issuer::Issue)", ["Issuer::Issue", "SignCertificate"]),
    ("SPKI hash of the CSR key for the blocked-key check (ca::SpkiSha256Hex)", ["SpkiSha256Hex"]),
    ("nonce creation (NonceService::Issue)", ["NonceService::Issue"]),
    ("logging (spdlog)", ["spdlog"]),
    ("TLS records (SSL_read/SSL_write)", ["SSL_read", "SSL_write", "ssl3_", "tls1_", "ossl_statem"]),
    ("HTTP parsing and serialising (Beast)", ["beast::http"]),
    ("JSON (Boost.JSON)", ["boost::json"]),
    ("malloc/free", ["malloc", "cfree", "_int_free", "_int_malloc"]),
]


def read_samples(path):
    samples, frames, in_sample = [], [], False
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if in_sample:
                    samples.append(frames)
                frames, in_sample = [], False
            elif line[0] in "\t ":
                parts = line.strip().split(" ", 1)
                if len(parts) == 2:
                    frames.append(parts[1])
            else:
                frames, in_sample = [], True
    if in_sample:
        samples.append(frames)
    return samples


def main():
    samples = read_samples(sys.argv[1])
    n = len(samples)
    if n == 0:
        print("no samples")
        return
    buckets, leaves = collections.Counter(), collections.Counter()
    for frames in samples:
        name = next((b for b, keys in BUCKETS
                     if any(any(k in fr for k in keys) for fr in frames)), "other")
        buckets[name] += 1
        leaf = re.sub(r"\+0x[0-9a-f]+.*", "", frames[0]) if frames else "?"
        leaves[leaf[:100]] += 1
    print(f"{n} samples of flint's threads, bucketed by what the stack is doing:")
    for name, count in buckets.most_common():
        print(f"  {100 * count / n:5.1f}%  {name}")
    print("\nHottest leaf functions (self time):")
    for name, count in leaves.most_common(25):
        print(f"  {100 * count / n:5.1f}%  {name}")


if __name__ == "__main__":
    main()
