#include "core/random.h"

#include <openssl/rand.h>

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

}  // namespace flint::core
