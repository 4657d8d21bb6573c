// RFC 8555 §7.1.3 order (POST-as-GET) and §7.4 finalize.
#include <boost/json.hpp>

#include "jose/base64url.h"
#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

namespace {

Reply OrderReply(Services& s, const core::Order& order) {
  Reply reply = JsonReply(200, RenderOrder(s, order));
  reply.location = s.urls.Order(order.id);
  if (order.status == core::OrderStatus::kProcessing)
    reply.retry_after_seconds = s.options.order_retry_after_seconds;
  return reply;
}

}  // namespace

core::Result<Reply> Order(Services& s, const AuthedPost& post, int64_t id) {
  if (!post.post_as_get()) return Err(ErrorType::kMalformed, "an order is read with POST-as-GET");
  FLINT_ASSIGN_OR_RETURN(core::Order order,
                         OwnedBy(s.store.GetOrder(core::OrderId(id)), *post.account, "order"));
  return OrderReply(s, order);
}

core::Result<Reply> Finalize(Services& s, const AuthedPost& post, int64_t id) {
  if (post.post_as_get()) return Err(ErrorType::kMalformed, "finalize needs a CSR");
  FLINT_ASSIGN_OR_RETURN(std::optional<std::string> csr_b64, OptionalString(post.payload, "csr"));
  if (!csr_b64) return Err(ErrorType::kMalformed, "finalize needs a \"csr\" field");
  auto der = jose::Base64UrlDecode(*csr_b64);
  if (!der.ok()) return Err(ErrorType::kBadCsr, "csr is not valid base64url");
  FLINT_ASSIGN_OR_RETURN(core::Order order,
                         s.ra.Finalize(*post.account, core::OrderId(id), *der));
  return OrderReply(s, order);
}

}  // namespace flint::wfe::handlers
