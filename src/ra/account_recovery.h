#pragma once
// Moving an account to a new key: the subscriber's keyChange (RFC 8555 §7.3.5, in
// RegistrationAuthority::ChangeKey) and the operator's account recovery (`flint admin accounts
// rekey`, for a subscriber who lost the key and proved who they are out of band, in the spirit
// of the old ACME drafts' recover-reg). Both apply the same key rules and use the same storage
// transition (sa::Store::ChangeAccountKey), after which the old key no longer authenticates:
// a request signed with it names an account whose key does not match (kid, RFC 8555 §6.2) or
// no account at all (jwk: kAccountDoesNotExist).

#include <string>
#include <string_view>

#include "core/audit.h"
#include "core/result.h"
#include "core/types.h"
#include "jose/jwk.h"
#include "sa/store.h"

namespace flint::ra {

using core::Result;

// The rules for a key that is to replace `account`'s, in order:
//   the account's current key                          kMalformed
//   blocked (keyCompromise revocation, admin block)    kBadPublicKey
//   refused by key policy (policy::CheckAccountKey)    kBadPublicKey
//   another account's key                              kConflict, conflicting_account_id set
// `what` prefixes the details ("keyChange", "rekey"). Storage errors pass through.
[[nodiscard]] Result<void> CheckReplacementAccountKey(sa::Store& store,
                                                      const core::Account& account,
                                                      const jose::PublicKey& new_key,
                                                      std::string_view what);

// The operator's account recovery: moves valid account `id` to `new_key` after
// CheckReplacementAccountKey, and records an "account" audit record with action "rekey"
// (audit_records.h), old and new key thumbprints and `operator_note`. Errors: kNotFound (no such
// account), kUnauthorized (the account is deactivated or revoked), those of
// CheckReplacementAccountKey; kConflict when a concurrent change won.
[[nodiscard]] Result<core::Account> RekeyAccount(sa::Store& store, core::AuditLog& audit,
                                                 core::AccountId id, const jose::PublicKey& new_key,
                                                 std::string_view operator_note);

}  // namespace flint::ra
