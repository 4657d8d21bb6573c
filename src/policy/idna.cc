#include "policy/idna.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>

namespace flint::policy {
namespace {

// RFC 3492 §5: Punycode parameter values.
constexpr uint32_t kBase = 36;
constexpr uint32_t kTMin = 1;
constexpr uint32_t kTMax = 26;
constexpr uint32_t kSkew = 38;
constexpr uint32_t kDamp = 700;
constexpr uint32_t kInitialBias = 72;
constexpr uint32_t kInitialN = 0x80;
constexpr uint32_t kMaxInt = std::numeric_limits<uint32_t>::max();
constexpr char32_t kMaxCodePoint = 0x10FFFF;

// RFC 3492 §6.1.
uint32_t Adapt(uint32_t delta, uint32_t num_points, bool first_time) {
  delta = first_time ? delta / kDamp : delta / 2;
  delta += delta / num_points;
  uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

uint32_t Threshold(uint32_t k, uint32_t bias) {
  if (k <= bias) return kTMin;
  if (k >= bias + kTMax) return kTMax;
  return k - bias;
}

// Digit value of a Punycode character, or kBase when it is not a digit.
uint32_t DigitValue(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<uint32_t>(c - 'a');
  if (c >= 'A' && c <= 'Z') return static_cast<uint32_t>(c - 'A');
  if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0') + 26;
  return kBase;
}

char DigitChar(uint32_t d) {
  return d < 26 ? static_cast<char>('a' + d) : static_cast<char>('0' + (d - 26));
}

// Decodes one generalized variable-length integer (RFC 3492 §3.3) starting at `*pos`, adding
// it to `*i`. Returns false on a bad digit, truncation or overflow.
bool DecodeDelta(std::string_view input, size_t* pos, uint32_t bias, uint32_t* i) {
  uint32_t w = 1;
  for (uint32_t k = kBase;; k += kBase) {
    if (*pos >= input.size()) return false;
    const uint32_t digit = DigitValue(input[(*pos)++]);
    if (digit >= kBase) return false;
    if (digit > (kMaxInt - *i) / w) return false;
    *i += digit * w;
    const uint32_t t = Threshold(k, bias);
    if (digit < t) return true;
    if (w > kMaxInt / (kBase - t)) return false;
    w *= kBase - t;
  }
}

void EncodeDelta(uint32_t q, uint32_t bias, std::string* out) {
  for (uint32_t k = kBase;; k += kBase) {
    const uint32_t t = Threshold(k, bias);
    if (q < t) break;
    out->push_back(DigitChar(t + (q - t) % (kBase - t)));
    q = (q - t) / (kBase - t);
  }
  out->push_back(DigitChar(q));
}

// Closed ranges [first, last] of code points flint refuses in a U-label. Each range is
// DISALLOWED (or unassigned, or CONTEXTJ) under RFC 5892; sorted for binary search.
struct Range {
  char32_t first;
  char32_t last;
};
constexpr Range kDisallowed[] = {
    {0x0080, 0x00B6},    // C1 controls, Latin-1 symbols and spacing marks
    {0x00B8, 0x00DE},    // Latin-1 symbols, capitals (U+00B7 is CONTEXTO, checked apart)
    {0x00F7, 0x00F7},    // division sign
    {0x0386, 0x038F},    // Greek capitals with tonos, ano teleia
    {0x0391, 0x03AB},    // Greek capitals
    {0x0400, 0x042F},    // Cyrillic capitals
    {0x115F, 0x1160},    // Hangul fillers (default ignorable)
    {0x2000, 0x20CF},    // spaces, ZWNJ/ZWJ, punctuation, super/subscripts, currency
    {0x2100, 0x214D},    // letterlike symbols
    {0x2190, 0x2BFF},    // arrows, math, technical, enclosed, box drawing, dingbats, braille
    {0x2E00, 0x2E2E},    // supplemental punctuation
    {0x2E30, 0x2E7F},    // supplemental punctuation
    {0x3000, 0x3004},    // ideographic space and full stop, CJK punctuation
    {0x3008, 0x3020},    // CJK brackets and marks
    {0x3130, 0x318F},    // Hangul compatibility jamo
    {0xD800, 0xDFFF},    // surrogates
    {0xE000, 0xF8FF},    // private use
    {0xFDD0, 0xFDEF},    // noncharacters
    {0xFE00, 0xFE1F},    // variation selectors, vertical forms
    {0xFE30, 0xFEFF},    // CJK compatibility, small forms, Arabic presentation forms, BOM
    {0xFF00, 0xFFFF},    // halfwidth and fullwidth forms, specials
    {0x1D400, 0x1D7FF},  // mathematical alphanumeric symbols
    {0x1F000, 0x1FAFF},  // game symbols, enclosed supplements, emoji, pictographs
    {0xE0000, 0xE0FFF},  // tags, variation selectors supplement
    {0xF0000, 0x10FFFF}, // supplementary private use
};

bool IsDisallowed(char32_t c) {
  if ((c & 0xFFFE) == 0xFFFE) return true;  // U+xxFFFE and U+xxFFFF in every plane
  auto it = std::upper_bound(std::begin(kDisallowed), std::end(kDisallowed), c,
                             [](char32_t v, const Range& r) { return v < r.first; });
  if (it == std::begin(kDisallowed)) return false;
  --it;
  return c <= it->last;
}

bool IsLowerLdh(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9') || c == U'-';
}

// Combining marks in the blocks most often abused; a U-label must not start with one
// (RFC 5891 §4.2.3.2).
bool IsCommonCombiningMark(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

std::string HexCodePoint(char32_t c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string digits;
  for (uint32_t v = c; v != 0 || digits.size() < 4; v >>= 4) digits.push_back(kHex[v & 0xF]);
  std::reverse(digits.begin(), digits.end());
  return "U+" + digits;
}

// RFC 5891 §4.2.3.1 hyphen rules, §4.2.3.2 leading combining mark, and the code point subset.
std::optional<std::string> ULabelProblem(const std::u32string& u) {
  if (std::all_of(u.begin(), u.end(), [](char32_t c) { return c < 0x80; })) {
    return "decodes to an ASCII-only label";
  }
  if (u.front() == U'-' || u.back() == U'-') {
    return "decodes to a label with a leading or trailing hyphen";
  }
  if (u.size() >= 4 && u[2] == U'-' && u[3] == U'-') {
    return "decodes to a label with hyphens in the third and fourth positions";
  }
  if (IsCommonCombiningMark(u.front())) {
    return "decodes to a label that starts with a combining mark";
  }
  for (size_t i = 0; i < u.size(); ++i) {
    const char32_t c = u[i];
    if (c < 0x80) {
      if (!IsLowerLdh(c)) return "decodes to a label with the character " + HexCodePoint(c);
      continue;
    }
    // RFC 5892 Appendix A.3: MIDDLE DOT only between two 'l' (Catalan "l·l").
    if (c == 0x00B7) {
      if (i == 0 || i + 1 == u.size() || u[i - 1] != U'l' || u[i + 1] != U'l') {
        return "contains U+00B7 MIDDLE DOT not between two \"l\"";
      }
      continue;
    }
    if (IsDisallowed(c)) {
      return "decodes to a label with the disallowed code point " + HexCodePoint(c);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::u32string> PunycodeDecode(std::string_view input) {
  std::u32string out;
  // RFC 3492 §6.2: basic code points are everything before the last delimiter.
  size_t pos = 0;
  if (const size_t b = input.rfind('-'); b != std::string_view::npos && b > 0) {
    for (size_t j = 0; j < b; ++j) {
      const auto c = static_cast<unsigned char>(input[j]);
      if (c >= 0x80) return std::nullopt;
      out.push_back(c);
    }
    pos = b + 1;
  }
  uint32_t n = kInitialN;
  uint32_t i = 0;
  uint32_t bias = kInitialBias;
  while (pos < input.size()) {
    const uint32_t old_i = i;
    if (!DecodeDelta(input, &pos, bias, &i)) return std::nullopt;
    const auto len = static_cast<uint32_t>(out.size()) + 1;
    bias = Adapt(i - old_i, len, old_i == 0);
    if (i / len > kMaxInt - n) return std::nullopt;
    n += i / len;
    i %= len;
    if (n < 0x80 || n > kMaxCodePoint) return std::nullopt;
    out.insert(out.begin() + i, static_cast<char32_t>(n));
    ++i;
  }
  return out;
}

std::optional<std::string> PunycodeEncode(std::u32string_view input) {
  std::string out;
  for (char32_t c : input) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
  }
  const auto b = static_cast<uint32_t>(out.size());
  if (b > 0) out.push_back('-');
  uint32_t n = kInitialN;
  uint32_t delta = 0;
  uint32_t bias = kInitialBias;
  for (uint32_t h = b; h < input.size();) {
    uint32_t m = kMaxInt;
    for (char32_t c : input) {
      if (c >= n && c < m) m = c;
    }
    if (m - n > (kMaxInt - delta) / (h + 1)) return std::nullopt;
    delta += (m - n) * (h + 1);
    n = m;
    for (char32_t c : input) {
      if (c < n && ++delta == 0) return std::nullopt;
      if (c == n) {
        EncodeDelta(delta, bias, &out);
        bias = Adapt(delta, h + 1, h == b);
        delta = 0;
        ++h;
      }
    }
    ++delta;
    ++n;
  }
  return out;
}

std::optional<std::string> ALabelProblem(std::string_view label) {
  const std::string_view encoded = label.substr(std::min<size_t>(4, label.size()));
  if (encoded.empty()) return "has nothing after \"xn--\"";
  const std::optional<std::u32string> decoded = PunycodeDecode(encoded);
  if (!decoded || decoded->empty()) return "is not valid Punycode";
  const std::optional<std::string> reencoded = PunycodeEncode(*decoded);
  if (!reencoded || *reencoded != encoded) {
    return "is not the canonical Punycode encoding of its U-label";
  }
  return ULabelProblem(*decoded);
}

}  // namespace flint::policy
