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

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "sa/nonce_store.h"
#include "sa/store.h"

namespace flint::sa {

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
  std::string Mac(std::string_view random_and_expiry) const;

  NonceStore& store_;
  core::Random& random_;
  const core::Clock& clock_;
  const std::chrono::seconds lifetime_;
  const uint64_t prune_every_;
  std::atomic<uint64_t> redemptions_{0};
};

}  // namespace flint::sa
