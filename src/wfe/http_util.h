#pragma once
// Pure HTTP/1.1 helpers of the transport and the status front end: no sockets, no Beast, each
// tested on its own in http_util_test.cc.

#include <string>
#include <string_view>

#include "core/clock.h"

namespace flint::wfe {

// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", independent of the C
// locale.
std::string HttpDate(core::TimePoint t);

// RFC 9112 §3.2: origin-form "/p?q" splits at the first '?'; absolute-form "https://h/p?q" is
// reduced to its path ("/" when it has none); asterisk-form "*" stays as is.
void SplitTarget(std::string_view target, std::string* path, std::string* query);

// The path of a request target (SplitTarget without the query).
std::string PathOf(std::string_view target);

// Whether `s` is one or more ASCII digits (a valid Content-Length, RFC 9110 §8.6).
bool IsDigits(std::string_view s);

// Whether a header a handler set is safe to send: a non-empty name without whitespace or ':',
// and neither name nor value able to split the response (CR, LF) or smuggle a NUL.
bool IsSafeHeader(std::string_view name, std::string_view value);

}  // namespace flint::wfe
