#pragma once
// The audit records the RA leaves (core/audit.h), built in one place so that every event uses
// the same field names (CA/Browser Forum BR §5.4.1: issuance, revocation, account changes and
// validation attempts are logged). Events and their fields:
//   "account"     action ("new_account", "contact_update", "deactivation", "key_change",
//                 "rekey"), account (URL), account_id, result, and what changed: contacts,
//                 key_thumbprint (new_key_thumbprint / old_key_thumbprint for key changes),
//                 eab_key_id, operator (rekey)
//   "issuance"    account, account_id, order, identifiers, profile, result ("valid" or
//                 "invalid"), serial, not_before, not_after (when issued), error (when not)
//   "revocation"  account (URL of the certificate's account), account_id, serial, reason
//                 (RFC 5280 code), requester ("account", "certificate_key", "operator"),
//                 result
//   "validation"  see RegistrationAuthority::FinishValidation (orders.cc)
// `result` is "valid"/"invalid" for issuance and validation (the resulting object's status)
// and "success" for account changes and revocations (only changes that happened are recorded).
// Identifiers are arrays of {"type","value"}; times RFC 3339; account keys appear only as their
// RFC 7638 thumbprints.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/types.h"
#include "ra/revocation.h"

namespace flint::ra {

boost::json::array IdentifiersJson(const std::vector<core::Identifier>& identifiers);

// An "account" record for `account` as it is after `action`; `account_url` is its URL
// (omitted when empty: `flint admin` does not know the server's base URL).
boost::json::object AccountAuditRecord(std::string_view action, const core::Account& account,
                                       const std::string& account_url);

// An "issuance" record: `cert` when issued, else `error` (the order became invalid).
boost::json::object IssuanceAuditRecord(const core::Order& order, const std::string& account_url,
                                        const core::Certificate* cert, const core::Error* error);

// A "revocation" record for `cert` as revoked through `request`.
boost::json::object RevocationAuditRecord(const core::Certificate& cert,
                                          const RevocationRequest& request,
                                          const std::string& account_url);

}  // namespace flint::ra
