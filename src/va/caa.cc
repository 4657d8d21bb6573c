#include "va/caa.h"

#include <cctype>

#include "core/ascii.h"

namespace flint::va {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string Lower(std::string_view s) { return core::AsciiLowered(s); }

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return pos_ >= s_.size(); }
  char Peek() const { return Done() ? '\0' : s_[pos_]; }
  void SkipWsp() {
    while (!Done() && IsWsp(s_[pos_])) ++pos_;
  }
  bool Consume(char c) {
    if (Peek() != c || Done()) return false;
    ++pos_;
    return true;
  }
  // label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)); the RFC 8659 tag has the same shape.
  std::optional<std::string_view> Label() {
    size_t start = pos_;
    if (!IsAlnum(Peek())) return std::nullopt;
    while (!Done() && (IsAlnum(s_[pos_]) || s_[pos_] == '-')) ++pos_;
    if (s_[pos_ - 1] == '-') return std::nullopt;
    return s_.substr(start, pos_ - start);
  }
  // value = *(%x21-3A / %x3C-7E)
  std::string_view Value() {
    size_t start = pos_;
    while (!Done() && s_[pos_] >= 0x21 && s_[pos_] <= 0x7e && s_[pos_] != ';') ++pos_;
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// issuer-domain-name = label *("." label)
std::optional<std::string> IssuerDomain(Cursor& c) {
  std::string out;
  for (;;) {
    std::optional<std::string_view> label = c.Label();
    if (!label) return std::nullopt;
    out += *label;
    if (!c.Consume('.')) return out;
    out += '.';
  }
}

// parameters = (parameter *WSP ";" *WSP parameters) / parameter
// parameter = tag *WSP "=" *WSP value
bool Parameters(Cursor& c, CaaIssueValue& out) {
  for (;;) {
    std::optional<std::string_view> tag = c.Label();
    if (!tag) return false;
    c.SkipWsp();
    if (!c.Consume('=')) return false;
    c.SkipWsp();
    out.parameters.emplace_back(std::string(*tag), std::string(c.Value()));
    c.SkipWsp();
    if (c.Done()) return true;
    if (!c.Consume(';')) return false;
    c.SkipWsp();
  }
}

// RFC 8657 §4: validationmethods = label *("," label), label = 1*(ALPHA / DIGIT / "-").
std::optional<std::vector<std::string>> MethodList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = value.find(',', start);
    std::string_view label = value.substr(start, comma - start);
    if (label.empty()) return std::nullopt;
    for (char ch : label) {
      if (!IsAlnum(ch) && ch != '-') return std::nullopt;
    }
    out.emplace_back(label);
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

bool MatchesIdentity(const std::string& issuer, const std::vector<std::string>& identities) {
  std::string lower = Lower(issuer);
  for (const std::string& identity : identities) {
    if (Lower(identity) == lower) return true;
  }
  return false;
}

// One issue/issuewild record: does it authorize this request?
bool Authorizes(const CaaRecord& record, const CaaRequest& request) {
  std::optional<CaaIssueValue> value = ParseCaaIssueValue(record.value);
  if (!value || value->issuer_domain.empty()) return false;
  if (!MatchesIdentity(value->issuer_domain, request.identities)) return false;
  const std::string* account_uri = nullptr;
  const std::string* methods = nullptr;
  for (const auto& [tag, param] : value->parameters) {
    std::string lower = Lower(tag);
    const std::string** slot = lower == "accounturi"          ? &account_uri
                               : lower == "validationmethods" ? &methods
                                                              : nullptr;
    if (slot == nullptr) continue;  // unknown parameters are ignored
    if (*slot != nullptr) return false;  // a repeated parameter voids the record
    *slot = &param;
  }
  // RFC 8657 §3: the account URI must match exactly.
  if (account_uri != nullptr && *account_uri != request.account_uri) return false;
  // RFC 8657 §4: the validation method must be listed.
  if (methods != nullptr) {
    std::optional<std::vector<std::string>> list = MethodList(*methods);
    if (!list) return false;
    bool listed = false;
    for (const std::string& m : *list) listed = listed || Lower(m) == request.method;
    if (!listed) return false;
  }
  return true;
}

}  // namespace

std::optional<CaaIssueValue> ParseCaaIssueValue(std::string_view value) {
  CaaIssueValue out;
  Cursor c(value);
  c.SkipWsp();
  if (c.Peek() != ';' && !c.Done()) {
    std::optional<std::string> domain = IssuerDomain(c);
    if (!domain) return std::nullopt;
    out.issuer_domain = std::move(*domain);
    c.SkipWsp();
  }
  if (c.Done()) return out;
  if (!c.Consume(';')) return std::nullopt;
  c.SkipWsp();
  if (c.Done()) return out;
  if (!Parameters(c, out)) return std::nullopt;
  return out;
}

Result<void> EvaluateCaaSet(const std::vector<CaaRecord>& records, const CaaRequest& request,
                            const std::string& domain) {
  auto refuse = [&](std::string_view why) {
    return Err(ErrorType::kCaa, "CAA record for " + domain + " prevents issuance: " +
                                    std::string(why));
  };
  std::vector<const CaaRecord*> issue;
  std::vector<const CaaRecord*> issuewild;
  for (const CaaRecord& record : records) {
    std::string tag = Lower(record.tag);
    if (tag == "issue") {
      issue.push_back(&record);
    } else if (tag == "issuewild") {
      issuewild.push_back(&record);
    } else if (tag != "iodef" && (record.flags & 0x80) != 0) {
      // RFC 8659 §4.1: an unknown property with the Issuer Critical flag forbids issuance.
      return refuse("critical property \"" + record.tag + "\" is not understood");
    }
  }
  // RFC 8659 §4.3: issuewild, when present, replaces issue for wildcard names.
  const std::vector<const CaaRecord*>& relevant =
      request.wildcard && !issuewild.empty() ? issuewild : issue;
  if (relevant.empty()) return core::Ok();
  for (const CaaRecord* record : relevant) {
    if (Authorizes(*record, request)) return core::Ok();
  }
  return refuse(std::string("no ") + (&relevant == &issuewild ? "issuewild" : "issue") +
                " property authorizes this CA, account and validation method");
}

}  // namespace flint::va
