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

class SecureRandom final : public Random {
 public:
  std::string Bytes(size_t n) override;
};

}  // namespace flint::core
