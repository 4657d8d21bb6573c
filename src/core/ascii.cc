#include "core/ascii.h"

namespace flint::core {

void AsciiLowerInPlace(std::string& s) {
  for (char& c : s) c = AsciiLower(c);
}

std::string AsciiLowered(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(out);
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace flint::core
