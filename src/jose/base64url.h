#pragma once
// base64url without padding (RFC 4648 §5, as used by RFC 7515 §2 and RFC 8555 §6.1).

#include <string>
#include <string_view>

#include "core/result.h"

namespace flint::jose {

// Encodes `data` with the URL-safe alphabet and no '=' padding.
std::string Base64UrlEncode(std::string_view data);

// Strict decoder for network input. Accepts only the URL-safe alphabet [A-Za-z0-9_-], with no
// padding and no whitespace; rejects a length of 1 mod 4 and non-canonical encodings (unused
// trailing bits that are not zero), so every byte string has exactly one accepted encoding.
// The empty string decodes to the empty string. Errors: kMalformed.
[[nodiscard]] core::Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace flint::jose
