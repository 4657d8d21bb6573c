#pragma once
// Replay nonces (RFC 8555 §6.5) that any flint instance sharing the database can redeem, once.
//
// Issue() is stateless and touches no database: a nonce is
//   base64url(random[16] || expiry[8, big-endian unix seconds] || mac[16])
// where mac is the first 16 bytes of HMAC-SHA256(secret, random || expiry) and `secret` is the
// database-wide key (NonceStore::NonceSecret()). Redeem() checks the MAC in constant time and
// the expiry against the clock, then records `random` in the shared database; that insert is the
// compare-and-set that makes each nonce single-use across instances. Expired redemption records
// are pruned every `prune_every` redemptions (per service object), with a grace period that
// tolerates instance clocks disagreeing by up to kPruneGrace.

#include <openssl/evp.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>
#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "sa/nonce_store.h"
#include "sa/store.h"

namespace flint::sa {

// HMAC-SHA256 under a fixed key, truncated to 16 bytes: the MAC of both nonce services. The
// keyed context is set up once and duplicated per use (a one-shot HMAC fetches the algorithms
// again on every call). Thread-safe.
class NonceMac {
 public:
  explicit NonceMac(std::string_view key);
  ~NonceMac();
  NonceMac(const NonceMac&) = delete;
  NonceMac& operator=(const NonceMac&) = delete;
  // The 16-byte MAC of `data`, or nullopt if OpenSSL failed (the caller refuses the nonce).
  std::optional<std::string> Compute(std::string_view data) const;

  // The wire form both services use: base64url(id ‖ expiry(8) ‖ MAC(id ‖ expiry)). A MAC OpenSSL
  // failed to compute is left as zeros, which no redemption accepts.
  std::string Seal(std::string id, core::TimePoint expires) const;
  struct Opened {
    std::string id;
    core::TimePoint expires;
  };
  // The inverse, for nonces whose id has `id_bytes`: badNonce for a wrong length or encoding,
  // and badNonce with `not_ours` for a MAC that does not match. Expiry is the caller's check.
  Result<Opened> Open(std::string_view nonce, size_t id_bytes, std::string_view not_ours) const;

 private:
  EVP_MAC_CTX* keyed_ = nullptr;
};

class SqlNonceService final : public NonceService {
 public:
  static constexpr std::chrono::seconds kDefaultLifetime = std::chrono::hours(1);
  static constexpr int kPruneEvery = 1000;
  static constexpr std::chrono::seconds kPruneGrace = std::chrono::minutes(5);

  // `store`, `random` and `clock` must outlive the service. Thread-safe.
  SqlNonceService(NonceStore& store, core::Random& random, const core::Clock& clock,
                  std::chrono::seconds lifetime = kDefaultLifetime, int prune_every = kPruneEvery);

  std::string Issue() override;
  // kBadNonce if malformed, forged, expired or already redeemed; kInternal if the database
  // fails (the nonce is then not consumed).
  Result<void> Redeem(std::string_view nonce) override;

 private:
  NonceStore& store_;
  const NonceMac mac_;  // keyed with store_.NonceSecret()
  core::Random& random_;
  const core::Clock& clock_;
  const std::chrono::seconds lifetime_;
  const uint64_t prune_every_;
  std::atomic<uint64_t> redemptions_{0};
};

// Replay nonces that only this process redeems, with no storage at all: for a single instance
// (the embedded SQLite deployment), where a database write per request would be pure cost.
//
//   base64url(counter[8] || expiry[8, big-endian unix seconds] || mac[16])
//
// where counter numbers the nonces this object issued, and mac is the first 16 bytes of
// HMAC-SHA256(key, counter || expiry) with a key drawn at construction and never stored. The
// service remembers which of the last `window` counters are still unused in a ring of bits (set
// at Issue, cleared by the one successful Redeem), so each nonce is redeemable exactly once, and
// a nonce more than `window` issuances old is refused as stale. A restart draws a new key: the
// nonces of the previous run are then refused as not ours, which costs a client one badNonce
// retry with the fresh nonce that comes with the error (RFC 8555 §6.5). Several instances
// sharing one database must use SqlNonceService instead. Memory: window/8 bytes.
class MemoryNonceService final : public NonceService {
 public:
  static constexpr uint64_t kDefaultWindow = uint64_t{1} << 20;  // 128 KiB of bits

  // `random` (for the key) is used only here; `clock` must outlive the service. `window` is
  // rounded up to a multiple of 64. Thread-safe.
  MemoryNonceService(core::Random& random, const core::Clock& clock,
                     std::chrono::seconds lifetime = SqlNonceService::kDefaultLifetime,
                     uint64_t window = kDefaultWindow);
  MemoryNonceService(const MemoryNonceService&) = delete;
  MemoryNonceService& operator=(const MemoryNonceService&) = delete;

  std::string Issue() override;
  // kBadNonce if malformed, not issued by this object, expired, stale or already redeemed.
  // Never blocks on I/O.
  Result<void> Redeem(std::string_view nonce) override;

 private:
  const core::Clock& clock_;
  const std::chrono::seconds lifetime_;
  const NonceMac mac_;  // keyed with random bytes drawn at construction
  std::mutex mu_;
  uint64_t next_ = 0;                 // the counter of the next nonce; guarded by mu_
  std::vector<uint64_t> unused_;      // bit (counter % window): issued, not redeemed; mu_
};

}  // namespace flint::sa
