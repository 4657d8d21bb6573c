#pragma once
// One handler per ACME resource (RFC 8555 §7). Each decodes its payload into a typed request,
// calls the RA (writes) or the store reader (reads), and returns a Reply or a core::Error.

#include <string>
#include <string_view>
#include <utility>

#include "wfe/acme_context.h"

namespace flint::wfe::handlers {

// A resource read for `account` (RFC 8555 §7.1: orders, authorizations, challenges and
// certificates belong to one account): `got` when it exists and is the account's; 404 "no such
// <what>" when it does not exist or is another account's, so ids are no oracle; any other
// storage failure passes through as itself (a 500), never hidden as a 404.
template <class T>
core::Result<T> OwnedBy(core::Result<T> got, const core::Account& account, std::string_view what) {
  if (got.ok() && got->account_id == account.id) return got;
  if (!got.ok() && got.error().type != core::ErrorType::kNotFound) return std::move(got).error();
  return core::Err(core::ErrorType::kNotFound, "no such " + std::string(what));
}

// The directory's JSON text: constant for a server's lifetime, so rendered once (Services).
std::string DirectoryJson(const Services& s);
core::Result<Reply> Directory(Services& s);                                      // §7.1.1
core::Result<Reply> NewAccount(Services& s, const AuthedPost& post);             // §7.3
core::Result<Reply> Account(Services& s, const AuthedPost& post, int64_t id);    // §7.3.2, 7.3.6
core::Result<Reply> AccountOrders(Services& s, const AuthedPost& post, int64_t id);  // §7.1.2.1
core::Result<Reply> KeyChange(Services& s, const AuthedPost& post);              // §7.3.5

}  // namespace flint::wfe::handlers

namespace flint::wfe::handlers {

core::Result<Reply> NewOrder(Services& s, const AuthedPost& post);                 // §7.4
core::Result<Reply> NewAuthz(Services& s, const AuthedPost& post);                 // §7.4.1
core::Result<Reply> Order(Services& s, const AuthedPost& post, int64_t id);        // §7.1.3
core::Result<Reply> Finalize(Services& s, const AuthedPost& post, int64_t id);     // §7.4
core::Result<Reply> Authorization(Services& s, const AuthedPost& post, int64_t id);  // §7.5
core::Result<Reply> Challenge(Services& s, const AuthedPost& post, int64_t id);    // §7.5.1
core::Result<Reply> Certificate(Services& s, const AuthedPost& post, int64_t id);  // §7.4.2
core::Result<Reply> Issuer(Services& s);  // the issuing CA certificate, PEM
core::Result<Reply> RenewalInfo(Services& s, std::string_view cert_id);  // RFC 9773 §4
core::Result<Reply> RevokeCert(Services& s, const AuthedPost& post);           // §7.6

}  // namespace flint::wfe::handlers
