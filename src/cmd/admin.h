#pragma once
// `flint admin`: operator commands on a data directory, safe to run while `flint serve` uses
// it (SQLite WAL: one writer at a time across processes, readers never blocked), or on the
// PostgreSQL database `--db` names (every instance on it sees the change at once).
//
//   flint admin [--data DIR] [--db URI] [--json] [--audit-log FILE] <command>
//     eab create [--note TEXT]     new EAB key (RFC 8555 §7.3.4); prints key id and the
//                                  base64url HMAC key, which is shown only this once
//     eab list | eab revoke KEYID
//     accounts list [--limit N] | accounts show ID
//     accounts rekey ID --key PUBLIC_KEY.pem [--note TEXT]
//                                  account recovery: the account moves to the new key (the
//                                  keyChange key rules apply); the old key is refused from then on
//                                  (a flint serve alone on SQLite caches accounts: SIGHUP it)
//     orders list [--account ID] [--limit N] | orders show ID
//     certs list [--account ID] [--limit N] | certs show SERIAL
//     certs revoke SERIAL --reason N   any RFC 5280 reason (0-6, 9, 10), operator path
//     keys block --spki-sha256 HEX     refuse that key in CSRs and as an account key
//     ca status                        root and intermediate, certificate counts, CRL number
//     perspective add NAME --out AGENTDIR  mTLS credentials for a `flint va-agent`
//                                  (cmd/perspective_admin.h); needs no store
//     purge [--retain-expired-orders D] [--retain-expired-authorizations D]
//                                  the retention purge once (cmd/retention.h)
//
//   --audit-log FILE: changes (rekey, revoke) also append their audit record to FILE; they are
//   always printed as "audit <event> <JSON>" lines on the diagnostics stream.
//
// Output: plain text (lists one record per line as key=value pairs; single records one
// "key: value" per line), or one JSON document with --json.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sa/store.h"

namespace flint::cmd {

// Opens the store --db names, or else that of the data directory --data names
// (cmd/data_dir.h: OpenExistingStore), so the commands work on any sa::Store backend. An error
// is printed and exits 1.
using StoreOpener = std::function<core::Result<std::unique_ptr<sa::Store>>(
    const std::string& data_dir, const std::string& db_uri, const core::Clock& clock)>;

// Runs the command in `args` (the words after "admin") on the store `open_store` returns.
// Results go to `out`, diagnostics to `err`. Returns the exit status: 0 success, 1 the
// operation failed (no store, unknown id, already revoked, storage error, ...), 2 bad usage.
int RunAdmin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
             const StoreOpener& open_store);

}  // namespace flint::cmd
