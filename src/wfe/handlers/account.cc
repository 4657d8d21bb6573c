// RFC 8555 §7.3.2 (update, POST-as-GET) and §7.3.6 (deactivation) on an account URL.
#include <algorithm>

#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

core::Result<Reply> Account(Services& s, const AuthedPost& post, int64_t id) {
  // A kid may only act on its own account; any other account id answers as if absent.
  if (!post.account || post.account->id.value != id)
    return Err(ErrorType::kNotFound, "no such account");
  core::Account acct = *post.account;
  if (!post.post_as_get()) {
    FLINT_ASSIGN_OR_RETURN(auto status, OptionalString(post.payload, "status"));
    FLINT_ASSIGN_OR_RETURN(auto contacts, OptionalStringArray(post.payload, "contact"));
    if (status && *status != "deactivated" && *status != "valid")
      return Err(ErrorType::kMalformed, "an account's status may only be set to deactivated");
    if (contacts) {
      FLINT_ASSIGN_OR_RETURN(acct, s.ra.UpdateContacts(acct.id, std::move(*contacts)));
    }
    if (status && *status == "deactivated") {
      FLINT_ASSIGN_OR_RETURN(acct, s.ra.DeactivateAccount(acct.id));
    }
  }
  Reply reply = JsonReply(200, RenderAccount(s, acct));
  reply.location = s.urls.Account(acct.id);
  return reply;
}

core::Result<Reply> AccountOrders(Services& s, const AuthedPost& post, int64_t id) {
  if (!post.account || post.account->id.value != id)
    return Err(ErrorType::kNotFound, "no such account");
  if (!post.post_as_get()) return Err(ErrorType::kMalformed, "orders list takes POST-as-GET");
  const size_t page_size = static_cast<size_t>(std::max(1, s.options.orders_page_size));
  int64_t before = 0;
  if (const std::string& q = post.http.query; !q.empty()) {
    std::optional<int64_t> cursor;
    if (q.rfind("cursor=", 0) == 0) cursor = ParseId(std::string_view(q).substr(7));
    if (!cursor) return Err(ErrorType::kMalformed, "bad orders cursor");
    before = *cursor;
  }
  FLINT_ASSIGN_OR_RETURN(std::vector<core::OrderId> ids,
                         s.store.ListOrderIds(post.account->id, before,
                                              static_cast<int>(page_size) + 1));
  boost::json::array orders;
  for (size_t i = 0; i < ids.size() && i < page_size; ++i) orders.emplace_back(s.urls.Order(ids[i]));
  boost::json::object body;
  body["orders"] = std::move(orders);
  Reply reply = JsonReply(200, body);
  if (ids.size() > page_size) {
    reply.links.push_back("<" + s.urls.AccountOrders(post.account->id) + "?cursor=" +
                          std::to_string(ids[page_size - 1].value) + ">;rel=\"next\"");
  }
  return reply;
}

}  // namespace flint::wfe::handlers
