#include "core/random.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

namespace flint::core {

std::string SecureRandom::Bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // Without randomness a CA cannot operate safely; this is not client-reachable input.
    std::abort();
  }
  return out;
}

bool Chance(Random& random, int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  const std::string b = random.Bytes(4);
  uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return static_cast<int>(v % 100) < percent;
}

}  // namespace flint::core
