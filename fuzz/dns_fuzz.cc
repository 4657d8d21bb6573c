// libFuzzer target: DNS answer data as the VA reads it: TXT and CAA RDATA (va::ParseTxtRdata,
// va::ParseCaaRdata, RFC 1035 §3.3.14, RFC 8659 §4.1), CAA issue values with RFC 8657
// parameters (va::ParseCaaIssueValue), and the CAA decision over the parsed set
// (va::EvaluateCaaSet). The first byte splits the input into several records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "va/caa.h"
#include "va/resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)flint::va::ParseTxtRdata(input);
  (void)flint::va::ParseCaaIssueValue(input);
  // Records separated by "\xff\xfe", each one CAA RDATA.
  std::vector<flint::va::CaaRecord> records;
  size_t start = 0;
  while (start <= input.size() && records.size() < 16) {
    size_t end = input.find("\xff\xfe", start);
    if (end == std::string_view::npos) end = input.size();
    auto record = flint::va::ParseCaaRdata(input.substr(start, end - start));
    if (record.ok()) records.push_back(*record);
    start = end + 2;
  }
  if (records.empty()) return 0;
  for (bool wildcard : {false, true}) {
    flint::va::CaaRequest request;
    request.wildcard = wildcard;
    request.identities = {"flint.test", "ca.example"};
    request.account_uri = "https://flint.test/acme/acct/1";
    request.method = "dns-01";
    (void)flint::va::EvaluateCaaSet(records, request, "example.com");
  }
  return 0;
}
