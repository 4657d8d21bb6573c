#pragma once
// ASCII-only case folding for protocol text: DNS names (RFC 4343), HTTP field names and tokens
// (RFC 9110 §5.1), header values compared case-insensitively. Never the C locale's tolower, which
// may fold bytes above 0x7f differently per locale.

#include <string>
#include <string_view>

namespace flint::core {

// 'A'-'Z' become 'a'-'z'; every other byte is left as it is.
constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Lowercases `s` in place (ASCII letters only).
void AsciiLowerInPlace(std::string& s);

// A lowercased copy of `s` (ASCII letters only).
std::string AsciiLowered(std::string_view s);

// Whether `a` and `b` are equal when ASCII letters are folded.
bool IEquals(std::string_view a, std::string_view b);

}  // namespace flint::core
