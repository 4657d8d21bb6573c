// RFC 9773 §4: GET renewalInfo/{certID}, the suggested renewal window of a certificate.
#include <boost/json.hpp>

#include "wfe/handlers/handlers.h"

namespace flint::wfe::handlers {

core::Result<Reply> RenewalInfo(Services& s, std::string_view cert_id) {
  FLINT_ASSIGN_OR_RETURN(ra::RenewalInfo info, s.ra.GetRenewalInfo(cert_id));
  boost::json::object window;
  window["start"] = core::FormatRfc3339(info.window.start);
  window["end"] = core::FormatRfc3339(info.window.end);
  boost::json::object body;
  body["suggestedWindow"] = std::move(window);
  Reply reply = JsonReply(200, body);
  // §4.3: clients poll again after Retry-After.
  reply.retry_after_seconds = static_cast<int>(info.retry_after.count());
  return reply;
}

}  // namespace flint::wfe::handlers
