#include "sa/caching_store.h"

#include <utility>

namespace flint::sa {

Result<core::Account> CachingStore::GetAccount(core::AccountId id) {
  if (std::optional<core::Account> cached = cache_.Find(id)) return *std::move(cached);
  const uint64_t generation = cache_.Generation();  // before the read (account_cache.h)
  Result<core::Account> account = backend_.GetAccount(id);
  if (account.ok()) cache_.InsertIfCurrent(*account, generation);
  return account;
}

// Committed or not, the next read of the account goes to the backend.
Result<core::Account> CachingStore::UpdateAccountContacts(core::AccountId id,
                                                          std::vector<std::string> contacts) {
  Result<core::Account> account = backend_.UpdateAccountContacts(id, std::move(contacts));
  cache_.Invalidate(id);
  return account;
}

Result<core::Account> CachingStore::DeactivateAccount(core::AccountId id) {
  Result<core::Account> account = backend_.DeactivateAccount(id);
  cache_.Invalidate(id);
  return account;
}

Result<core::Account> CachingStore::ChangeAccountKey(core::AccountId id,
                                                     const std::string& old_thumbprint,
                                                     const std::string& new_jwk_json,
                                                     const std::string& new_thumbprint) {
  Result<core::Account> account =
      backend_.ChangeAccountKey(id, old_thumbprint, new_jwk_json, new_thumbprint);
  cache_.Invalidate(id);
  return account;
}

}  // namespace flint::sa
