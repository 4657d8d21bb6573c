// dns-01 (RFC 8555 §8.4) and dns-account-01 (draft-ietf-acme-dns-account-label-01 §3.2).

#include "va/challenges.h"

namespace flint::va::internal {

using core::Err;
using core::ErrorType;
using core::Result;

Task<Result<void>> ValidateDns01(Attempt& at, Resolver& resolver, const std::string& query,
                                 const std::string& key_authorization) {
  FLINT_CO_ASSIGN_OR_RETURN(std::vector<std::string> records,
                            co_await LookupTxt(at, resolver, query));
  if (records.empty()) {
    co_return Err(ErrorType::kUnauthorized, "No TXT record found at " + query);
  }
  // RFC 8555 §8.4: the record's value is base64url(SHA-256(key authorization)).
  const std::string expected = Base64Url(Sha256(key_authorization));
  for (const std::string& record : records) {
    if (record == expected) co_return core::Ok();
  }
  std::string found = Excerpt(records.front(), 100);
  co_return Err(ErrorType::kIncorrectResponse,
             "Incorrect TXT record \"" + found + "\"" +
                 (records.size() > 1 ? " (and " + std::to_string(records.size() - 1) + " more)"
                                     : std::string()) +
                 " found at " + query);
}

}  // namespace flint::va::internal
