#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>

#include "core/ascii.h"
#include "policy/address_policy.h"
#include "va/challenges.h"

namespace flint::va::internal {

using core::Err;
using core::ErrorType;
using core::Result;

Result<std::vector<std::string>> ResolveTargets(const VaOptions& options, Resolver& resolver,
                                                const std::string& host, bool host_is_ip) {
  std::vector<std::string> addresses;
  if (host_is_ip) {
    addresses.push_back(host);
  } else {
    FLINT_ASSIGN_OR_RETURN(addresses, resolver.LookupIp(host));
    if (addresses.empty()) {
      return Err(ErrorType::kDns, "DNS problem: no A or AAAA records found for " + host);
    }
  }
  if (options.allow_private_targets) return addresses;
  std::vector<std::string> allowed;
  std::string refused;
  for (const std::string& address : addresses) {
    if (policy::IsPublicAddress(address)) {
      allowed.push_back(address);
    } else {
      refused += (refused.empty() ? "" : ", ") + address;
    }
  }
  if (allowed.empty()) {
    return Err(ErrorType::kConnection,
               "refusing to connect to " + host + ": not a public address: " + refused);
  }
  return allowed;
}

Result<Fd> ConnectFirst(const std::vector<std::string>& addresses, uint16_t port,
                        const Deadline& deadline) {
  std::vector<std::string> order;
  for (const std::string& a : addresses) {
    if (policy::IsIpv6(a)) {
      order.push_back(a);
      break;
    }
  }
  for (const std::string& a : addresses) {
    if (!policy::IsIpv6(a)) {
      order.push_back(a);
      break;
    }
  }
  if (order.empty()) return Err(ErrorType::kConnection, "no address to connect to");
  core::Error last;
  for (const std::string& address : order) {
    Result<Fd> fd = ConnectTcp(address, port, deadline);
    if (fd.ok()) return fd;
    last = std::move(fd).error();
  }
  return last;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string Base64Url(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::string> NormalizeDnsName(std::string_view name) {
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  auto bad = [&] { return Err(ErrorType::kMalformed, "invalid DNS identifier"); };
  if (name.empty() || name.size() > 253) return bad();
  std::string out;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return bad();
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (++label > 63) return bad();
    } else {
      return bad();
    }
    out.push_back(core::AsciiLower(c));
  }
  if (label == 0) return bad();
  return out;
}

Result<std::string> NormalizeIp(std::string_view value) {
  std::optional<std::string> ip = policy::CanonicalIp(value);
  if (!ip) return Err(ErrorType::kMalformed, "invalid IP identifier");
  return *ip;
}

std::string Excerpt(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace flint::va::internal
