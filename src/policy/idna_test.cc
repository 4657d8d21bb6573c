#include "policy/idna.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::policy {
namespace {

struct PunycodeCase {
  std::string name;
  std::u32string unicode;
  std::string encoded;
};

// RFC 3492 §7.1 sample strings and two well-known German labels.
const std::vector<PunycodeCase> kPunycodeCases = {
    {"rfc3492/A-arabic",
     {0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648,
      0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F},
     "egbpdaj6bu4bxfgehfvwxn"},
    {"rfc3492/B-chinese-simplified",
     {0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587},
     "ihqwcrb4cv8a8dqg056pqjye"},
    {"rfc3492/C-chinese-traditional",
     {0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587},
     "ihqwctvzc91f659drss3x8bo0yb"},
    {"rfc3492/L-mixed-case-basic",
     {0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F},
     "3B-ww4c5e180e575a65lsy2b"},
    {"rfc3492/S-all-basic",
     {0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D},
     "-> $1.00 <--"},
    {"german/muenchen", U"m\u00FCnchen", "mnchen-3ya"},
    {"german/buecher", U"b\u00FCcher", "bcher-kva"},
};

TEST(PunycodeTest, EncodesAndDecodesRfcSamples) {
  for (const PunycodeCase& c : kPunycodeCases) {
    SCOPED_TRACE(c.name);
    const std::optional<std::string> encoded = PunycodeEncode(c.unicode);
    ASSERT_TRUE(encoded.has_value());
    EXPECT_EQ(*encoded, c.encoded);
    const std::optional<std::u32string> decoded = PunycodeDecode(c.encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, c.unicode);
  }
}

TEST(PunycodeTest, RejectsInvalidInput) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fail/invalid-digit", "ab!c"},
      {"fail/overflow", "99999999999999999999"},
      {"fail/truncated-delta", "mnchen-9"},
      {"fail/leading-delimiter-only", "-"},
      {"fail/non-ascii-basic", "m\xC3\xBC-3ya"},
  };
  for (const auto& [name, input] : cases) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(PunycodeDecode(input).has_value());
  }
}

TEST(PunycodeTest, RejectsCodePointsBeyondUnicode) {
  const std::optional<std::string> encoded = PunycodeEncode(std::u32string{0x110000});
  ASSERT_TRUE(encoded.has_value());
  EXPECT_FALSE(PunycodeDecode(*encoded).has_value());
}

// Builds "xn--" + Punycode of `u`, so a test can name a U-label instead of opaque digits.
std::string ALabel(const std::u32string& u) { return "xn--" + PunycodeEncode(u).value(); }

TEST(ALabelTest, AcceptsValidALabels) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ok/muenchen", "xn--mnchen-3ya"},
      {"ok/chinese-company", "xn--55qx5d"},
      {"ok/cyrillic-rf", "xn--p1ai"},
      {"ok/sharp-s", ALabel(U"stra\u00DFe")},
      {"ok/greek-lowercase", ALabel(U"\u03B1\u03B2\u03B3")},
      {"ok/catalan-middle-dot", ALabel(U"col\u00B7lecci\u00F3")},
      {"ok/hyphen-inside", ALabel(U"a-\u00FC")},
  };
  for (const auto& [name, label] : cases) {
    SCOPED_TRACE(name + " " + label);
    EXPECT_EQ(ALabelProblem(label), std::nullopt);
  }
}

TEST(ALabelTest, RejectsInvalidALabels) {
  struct Case {
    std::string name;
    std::string label;
    std::string reason_contains;
  };
  const std::vector<Case> cases = {
      {"fail/empty", "xn--", "nothing after"},
      {"fail/not-punycode", "xn--99999999999999999999", "not valid Punycode"},
      {"fail/ascii-only", "xn--abc-", "ASCII-only"},
      {"fail/non-canonical-uppercase-digits", "xn--mnchen-3YA", "canonical"},
      {"fail/uppercase-basic", "xn--Mnchen-3ya", "U+004D"},
      {"fail/uppercase-latin1", ALabel(U"\u00DCber"), "U+00DC"},
      {"fail/uppercase-cyrillic", ALabel(U"\u0410\u0431"), "U+0410"},
      {"fail/uppercase-greek", ALabel(U"\u0391\u03B2"), "U+0391"},
      {"fail/fullwidth", ALabel(U"\uFF41bc"), "U+FF41"},
      {"fail/emoji", ALabel(U"\U0001F600"), "U+1F600"},
      {"fail/zero-width-joiner", ALabel(U"a\u200Db\u00FC"), "U+200D"},
      {"fail/ideographic-full-stop", ALabel(U"a\u3002b"), "U+3002"},
      {"fail/private-use", ALabel(U"\uE000"), "U+E000"},
      {"fail/noncharacter", ALabel(U"a\uFDD0"), "U+FDD0"},
      {"fail/math-bold-a", ALabel(U"\U0001D41A"), "U+1D41A"},
      {"fail/surrogate", ALabel(std::u32string{U'a', 0xD800}), "U+D800"},
      {"fail/leading-hyphen", ALabel(U"-\u00FC"), "hyphen"},
      {"fail/trailing-hyphen", ALabel(U"\u00FC-"), "hyphen"},
      {"fail/hyphens-3-4", ALabel(U"ab--\u00FC"), "third and fourth"},
      {"fail/leading-combining-mark", ALabel(U"\u0301a\u00FC"), "combining mark"},
      {"fail/middle-dot-without-l", ALabel(U"a\u00B7b"), "MIDDLE DOT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " " + c.label);
    const std::optional<std::string> reason = ALabelProblem(c.label);
    ASSERT_TRUE(reason.has_value());
    EXPECT_NE(reason->find(c.reason_contains), std::string::npos) << *reason;
  }
}

}  // namespace
}  // namespace flint::policy
