#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/prometheus_metrics.h"

namespace flint::metrics {
namespace {

using namespace std::chrono_literals;

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// The value on the line of `series` (name and labels exactly as exposed), or -1.
double ValueOf(const std::string& text, const std::string& series) {
  const std::string start = "\n" + series + " ";
  const size_t at = ("\n" + text).find(start);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + start.size() - 1));
}

TEST(PrometheusMetricsTest, CountsEachEventUnderItsLabels) {
  PrometheusMetrics m(/*process_metrics=*/false);
  m.CertificateIssued("default");
  m.CertificateIssued("default");
  m.CertificateIssued("shortlived");
  m.ValidationFinished(core::ChallengeType::kHttp01, true);
  m.ValidationFinished(core::ChallengeType::kDns01, false);
  m.ValidationFinished(core::ChallengeType::kTlsAlpn01, true);
  m.CertificateRevoked(0);
  m.CertificateRevoked(1);
  m.CertificateRevoked(1);
  const std::string text = m.Scrape();
  SCOPED_TRACE(text);
  EXPECT_TRUE(HasLine(text, "# TYPE flint_certificates_issued_total counter"));
  EXPECT_TRUE(HasLine(text, R"(flint_certificates_issued_total{profile="default"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(flint_certificates_issued_total{profile="shortlived"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_validations_total{result="valid",type="http-01"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_validations_total{result="invalid",type="dns-01"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_validations_total{result="valid",type="tls-alpn-01"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_revocations_total{reason="0"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_revocations_total{reason="1"} 2)"));
  EXPECT_EQ(text.find("process_"), std::string::npos);
}

// Alerts on failed validations need the series before the first failure.
TEST(PrometheusMetricsTest, EveryValidationSeriesStartsAtZero) {
  PrometheusMetrics m(false);
  const std::string text = m.Scrape();
  for (const char* type : {"http-01", "dns-01", "tls-alpn-01"}) {
    for (const char* result : {"valid", "invalid"}) {
      EXPECT_TRUE(HasLine(text, std::string("flint_validations_total{result=\"") + result +
                                    "\",type=\"" + type + "\"} 0"))
          << type << " " << result << "\n" << text;
    }
  }
}

TEST(PrometheusMetricsTest, HttpRequestsCountedByEndpointAndCodeAndTimedByEndpoint) {
  PrometheusMetrics m(false);
  m.HttpRequest("newOrder", 201, 3ms);
  m.HttpRequest("newOrder", 201, 20ms);
  m.HttpRequest("newOrder", 429, 1ms);
  m.HttpRequest("finalize", 200, 2s);
  const std::string text = m.Scrape();
  SCOPED_TRACE(text);
  EXPECT_TRUE(HasLine(text, R"(flint_http_requests_total{code="201",endpoint="newOrder"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_requests_total{code="429",endpoint="newOrder"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_requests_total{code="200",endpoint="finalize"} 1)"));
  EXPECT_TRUE(HasLine(text, "# TYPE flint_http_request_duration_seconds histogram"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_count{endpoint="newOrder"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_bucket{endpoint="newOrder",le="0.005"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_bucket{endpoint="newOrder",le="0.025"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_bucket{endpoint="finalize",le="1"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_bucket{endpoint="finalize",le="2.5"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(flint_http_request_duration_seconds_bucket{endpoint="finalize",le="+Inf"} 1)"));
  EXPECT_NEAR(ValueOf(text, R"(flint_http_request_duration_seconds_sum{endpoint="finalize"})"), 2.0,
              1e-9);
}

TEST(PrometheusMetricsTest, ConcurrentIncrementsAreAllCounted) {
  PrometheusMetrics m(false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.HttpRequest("order", 200, 1ms);
        m.CertificateIssued("default");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = m.Scrape();
  EXPECT_TRUE(HasLine(text, R"(flint_http_requests_total{code="200",endpoint="order"} 4000)")) << text;
  EXPECT_TRUE(HasLine(text, R"(flint_certificates_issued_total{profile="default"} 4000)")) << text;
}

TEST(PrometheusMetricsTest, ExposesProcessMetricsOfThisProcess) {
  PrometheusMetrics m;
  const std::string text = m.Scrape();
  SCOPED_TRACE(text);
  EXPECT_TRUE(HasLine(text, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_GE(ValueOf(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(ValueOf(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(ValueOf(text, "process_virtual_memory_bytes"), 1 << 20);
  const double open = ValueOf(text, "process_open_fds");
  EXPECT_GE(open, 3);  // stdin, stdout, stderr
  EXPECT_GE(ValueOf(text, "process_max_fds"), open);
  const double start = ValueOf(text, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600);  // this test process started recently
}

TEST(ProcStatTest, CountsFieldsFromTheLastParenthesis) {
  // The command name may hold spaces and parentheses.
  const std::string line =
      "4242 (we ird) (name) S 1 4242 4242 0 -1 4194560 1180 0 0 0 250 70 0 0 20 0 3 0 "
      "123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  std::optional<ProcStat> s = ParseProcStat(line);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->utime_ticks, 250u);
  EXPECT_EQ(s->stime_ticks, 70u);
  EXPECT_EQ(s->starttime_ticks, 123456u);
  EXPECT_EQ(s->vsize_bytes, 987654321u);
  EXPECT_EQ(s->rss_pages, 2048);
}

TEST(ProcStatTest, RefusesTruncatedOrMalformedLines) {
  EXPECT_FALSE(ParseProcStat("").has_value());
  EXPECT_FALSE(ParseProcStat("12 (x) S 1 2 3").has_value());
  EXPECT_FALSE(ParseProcStat("12 no-parenthesis S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22")
                   .has_value());
  EXPECT_FALSE(ParseProcStat("12 (x) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 18 19 20 21 22")
                   .has_value());
}

TEST(ProcStatTest, BootTimeFromProcStat) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1764000000\nprocesses 9\n"), 1764000000);
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3\n").has_value());
  EXPECT_FALSE(ParseBootTime("btime soon\n").has_value());
}

TEST(NoMetricsTest, RecordsNothingAndIsShared) {
  core::Metrics& none = core::NoMetrics();
  none.CertificateIssued("default");
  none.HttpRequest("directory", 200, 1ms);
  EXPECT_EQ(&none, &core::NoMetrics());
}

}  // namespace
}  // namespace flint::metrics
