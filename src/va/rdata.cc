// RDATA of the records the VA reads (resolver.h): TXT (RFC 1035 §3.3.14) and CAA (RFC 8659
// §4.1). Pure functions, kept apart from the resolver so that the fuzz targets take them alone.
#include <cctype>
#include <cstdint>

#include "va/resolver.h"

namespace flint::va {

using core::Err;
using core::ErrorType;
using core::Result;

Result<std::string> ParseTxtRdata(std::string_view rdata) {
  if (rdata.empty()) return Err(ErrorType::kDns, "DNS problem: empty TXT record");
  std::string out;
  size_t pos = 0;
  while (pos < rdata.size()) {
    size_t len = static_cast<uint8_t>(rdata[pos]);
    if (pos + 1 + len > rdata.size()) {
      return Err(ErrorType::kDns, "DNS problem: truncated TXT record");
    }
    out.append(rdata.substr(pos + 1, len));
    pos += 1 + len;
  }
  return out;
}

Result<CaaRecord> ParseCaaRdata(std::string_view rdata) {
  if (rdata.size() < 2) return Err(ErrorType::kDns, "DNS problem: truncated CAA record");
  size_t tag_len = static_cast<uint8_t>(rdata[1]);
  if (tag_len == 0 || 2 + tag_len > rdata.size()) {
    return Err(ErrorType::kDns, "DNS problem: malformed CAA record tag length");
  }
  CaaRecord record;
  record.flags = static_cast<uint8_t>(rdata[0]);
  record.tag = std::string(rdata.substr(2, tag_len));
  // RFC 8659 §4.1: the tag is ASCII letters and digits only.
  for (char c : record.tag) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      return Err(ErrorType::kDns, "DNS problem: malformed CAA record tag");
    }
  }
  record.value = std::string(rdata.substr(2 + tag_len));
  return record;
}

}  // namespace flint::va
