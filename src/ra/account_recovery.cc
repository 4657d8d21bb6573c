#include "ra/account_recovery.h"

#include "policy/key_policy.h"
#include "ra/audit_records.h"
#include "ra/revocation.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

Result<void> CheckReplacementAccountKey(sa::Store& store, const core::Account& account,
                                        const jose::PublicKey& new_key, std::string_view what) {
  const std::string prefix(what);
  if (new_key.thumbprint() == account.jwk_thumbprint)
    return Err(ErrorType::kMalformed, prefix + ": the new key is the account's current key");
  FLINT_TRY(CheckKeyNotBlocked(store, new_key, ErrorType::kBadPublicKey));
  FLINT_TRY(policy::CheckAccountKey(new_key.pkey()));
  auto other = store.GetAccountByThumbprint(new_key.thumbprint());
  if (other.ok()) {
    core::Error e = Err(ErrorType::kConflict, prefix + ": the new key is already in use");
    e.conflicting_account_id = other->id.value;
    return e;
  }
  if (other.error().type != ErrorType::kNotFound) return std::move(other).error();
  return core::Ok();
}

Result<core::Account> RekeyAccount(sa::Store& store, core::AuditLog& audit, core::AccountId id,
                                   const jose::PublicKey& new_key, std::string_view operator_note) {
  FLINT_ASSIGN_OR_RETURN(core::Account acct, store.GetAccount(id));
  if (acct.status != core::AccountStatus::kValid)
    return Err(ErrorType::kUnauthorized,
               "rekey: account is " + std::string(core::ToString(acct.status)) + ", not valid");
  FLINT_TRY(CheckReplacementAccountKey(store, acct, new_key, "rekey"));
  FLINT_ASSIGN_OR_RETURN(core::Account moved,
                         store.ChangeAccountKey(id, acct.jwk_thumbprint, new_key.canonical_json(),
                                                new_key.thumbprint()));
  boost::json::object record = AccountAuditRecord("rekey", moved, "");
  record["old_key_thumbprint"] = acct.jwk_thumbprint;
  record["new_key_thumbprint"] = moved.jwk_thumbprint;
  if (!operator_note.empty()) record["operator"] = operator_note;
  audit.Record("account", std::move(record));
  return moved;
}

}  // namespace flint::ra
