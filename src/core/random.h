#pragma once
// Injected randomness. The production implementation draws from OpenSSL's CSPRNG (RAND_bytes).

#include <cstdint>
#include <string>

namespace flint::core {

class Random {
 public:
  virtual ~Random() = default;
  // `n` cryptographically secure random bytes. Thread-safe.
  virtual std::string Bytes(size_t n) = 0;
};

// True with probability `percent`/100, from 4 random bytes (a bias below 1e-7): never for
// percent <= 0, always for percent >= 100. For the test modes' percentages (`flint pebble`).
bool Chance(Random& random, int percent);

class SecureRandom final : public Random {
 public:
  std::string Bytes(size_t n) override;
};

}  // namespace flint::core
