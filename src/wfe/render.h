#pragma once
// JSON renderings of ACME resources (RFC 8555 §7.1.2-7.1.6).

#include <boost/json/value.hpp>

#include "core/types.h"
#include "wfe/acme_context.h"

namespace flint::wfe {

boost::json::value RenderAccount(const Services& s, const core::Account& account);

}  // namespace flint::wfe

namespace flint::wfe {

boost::json::value RenderOrder(const Services& s, const core::Order& order);
boost::json::value RenderAuthorization(const Services& s, const core::Authorization& authz);
boost::json::value RenderChallenge(const Services& s, const core::Challenge& challenge);
boost::json::value RenderIdentifier(const core::Identifier& id);

// Parses an RFC 3339 date-time ("2026-01-02T03:04:05Z", fraction and offset allowed).
// std::nullopt for anything else, for a day the month does not have, and for an instant a
// TimePoint cannot hold (before about 1678 or after about 2262).
std::optional<core::TimePoint> ParseRfc3339(std::string_view text);

}  // namespace flint::wfe
