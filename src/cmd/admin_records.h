#pragma once
// Private to `flint admin`: stored records as JSON objects (member order = display order), and
// their plain-text and JSON output.

#include <boost/json.hpp>
#include <ostream>
#include <vector>

#include "core/types.h"
#include "sa/records.h"

namespace flint::cmd {

boost::json::object EabKeyRecord(const sa::EabKey& key);
// `detail`: the fields only `show` prints (key, authorizations, PEM, ...).
boost::json::object AccountRecord(const core::Account& account, bool detail);
boost::json::object OrderRecord(const core::Order& order, bool detail);
boost::json::object CertificateRecord(const core::Certificate& cert, bool detail);

// A list: a JSON array, or one line of key=value pairs per record.
void PrintList(std::ostream& out, const std::vector<boost::json::object>& records, bool json);
// One record: a JSON object, or one "key: value" line per member (a "pem" member last, as is).
void PrintRecord(std::ostream& out, const boost::json::object& record, bool json);

}  // namespace flint::cmd
