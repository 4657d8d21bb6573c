#pragma once
// Punycode (RFC 3492) and the IDNA2008 A-label checks flint applies to "xn--" DNS labels
// (RFC 5890 §2.3.2.1, RFC 5891 §4.2.3). Pure functions, thread-safe.
//
// Scope: the A-label must decode, re-encode to exactly the same text, and decode to a U-label
// that is not ASCII-only, obeys the U-label hyphen rules, does not start with a combining mark,
// and contains no code point from a conservative subset of RFC 5892 DISALLOWED ranges
// (controls, Latin-1/Greek/Cyrillic capitals, symbols, punctuation, compatibility forms, private
// use, noncharacters, ZWJ/ZWNJ). The full RFC 5892 derived-property table and NFC check are
// not included, so some unassigned or DISALLOWED code points outside those ranges pass.

#include <optional>
#include <string>
#include <string_view>

namespace flint::policy {

// Decodes the Punycode part of a label (the text after "xn--"). nullopt on invalid digits,
// overflow, a decoded code point that is basic (< 0x80) or above U+10FFFF.
std::optional<std::u32string> PunycodeDecode(std::string_view input);

// Encodes code points as Punycode with lowercase digits. nullopt on overflow.
std::optional<std::string> PunycodeEncode(std::u32string_view input);

// Checks one lowercase label that starts with "xn--". Returns nullopt when it is a valid
// A-label, or a short reason ("is not valid Punycode", ...) to embed in an error detail.
std::optional<std::string> ALabelProblem(std::string_view label);

}  // namespace flint::policy
