// libFuzzer target: newOrder identifiers through the identifier policy (RFC 8555 §7.1.3,
// RFC 8738, RFC 5890-5891 A-labels: policy::IdentifierPolicy::CheckOrder) with the Public Suffix
// List, and the Punycode codec (RFC 3492) both ways. Input: identifiers separated by '\n', each
// "dns:" or "ip:" or anything else.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/identifier_policy.h"
#include "policy/idna.h"
#include "policy/public_suffix.h"

namespace {

const flint::policy::IdentifierPolicy& Policy() {
  static const flint::policy::IdentifierPolicy* policy = [] {
    flint::policy::IdentifierPolicyOptions options;
    auto psl = flint::policy::PublicSuffixList::Default();
    if (psl.ok()) options.psl = *psl;
    options.blocked_names = {"blocked.example", "*.evil.test", "192.0.2.66"};
    return new flint::policy::IdentifierPolicy(options);
  }();
  return *policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<flint::core::Identifier> ids;
  size_t start = 0;
  while (start <= input.size() && ids.size() < 120) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    flint::core::Identifier id;
    id.type = line.starts_with("ip:") ? flint::core::IdentifierType::kIp
                                      : flint::core::IdentifierType::kDns;
    if (line.starts_with("ip:") || line.starts_with("dns:")) line.remove_prefix(line.find(':') + 1);
    id.value = std::string(line);
    ids.push_back(std::move(id));
    start = end + 1;
  }
  auto checked = Policy().CheckOrder(ids);
  if (checked.ok()) {
    // Accepted identifiers are canonical: checking them again accepts them unchanged.
    auto again = Policy().CheckOrder(*checked);
    if (!again.ok() || again->size() != checked->size()) __builtin_trap();
    for (size_t i = 0; i < checked->size(); ++i)
      if ((*again)[i].value != (*checked)[i].value) __builtin_trap();
  }
  // Punycode: whatever decodes re-encodes to a string that decodes to the same code points.
  if (auto decoded = flint::policy::PunycodeDecode(input)) {
    if (auto encoded = flint::policy::PunycodeEncode(*decoded)) {
      auto round = flint::policy::PunycodeDecode(*encoded);
      if (!round || *round != *decoded) __builtin_trap();
    }
  }
  (void)flint::policy::ALabelProblem(input);
  return 0;
}
