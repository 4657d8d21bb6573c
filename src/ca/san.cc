#include "ca/san.h"

#include <openssl/err.h>

#include <algorithm>
#include <string_view>

#include "ca/openssl_util.h"
#include "core/ascii.h"

namespace flint::ca {

SanName ReadSanName(const GENERAL_NAME* name) {
  SanName out;
  int type = 0;
  const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
  if (value == nullptr || (type != GEN_DNS && type != GEN_IPADD)) return out;
  const std::string_view bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                               static_cast<size_t>(ASN1_STRING_length(value)));
  if (type == GEN_DNS) {
    out.kind = SanName::Kind::kDns;
    out.value = core::AsciiLowered(bytes);
  } else {
    out.kind = SanName::Kind::kIp;
    out.value = IpBytesToText(bytes);
  }
  return out;
}

bool IsPrintableDnsName(const std::string& value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::vector<core::Identifier> SanIdentifiers(X509* cert) {
  std::vector<core::Identifier> out;
  UniqueGeneralNames names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    SanName n = ReadSanName(sk_GENERAL_NAME_value(names.get(), i));
    if (n.kind == SanName::Kind::kDns && IsPrintableDnsName(n.value)) {
      out.push_back({core::IdentifierType::kDns, std::move(n.value)});
    } else if (n.kind == SanName::Kind::kIp && !n.value.empty()) {
      out.push_back({core::IdentifierType::kIp, std::move(n.value)});
    }
  }
  ERR_clear_error();
  return out;
}

}  // namespace flint::ca
