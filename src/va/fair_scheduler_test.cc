#include "va/fair_scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flint::va {
namespace {

TEST(FairSchedulerTest, StartsAtOnceBelowTheBound) {
  FairScheduler scheduler(2);
  std::vector<std::string> started;
  scheduler.Submit("a", [&] { started.push_back("a1"); });
  scheduler.Submit("a", [&] { started.push_back("a2"); });
  EXPECT_EQ(started, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(scheduler.in_flight(), 2u);
  EXPECT_EQ(scheduler.queued(), 0u);
}

TEST(FairSchedulerTest, AtTheBoundTheNextIsPickedRoundRobinAcrossAccounts) {
  FairScheduler scheduler(1);
  std::vector<std::string> started;
  auto task = [&](std::string name) { return [&started, name] { started.push_back(name); }; };
  scheduler.Submit("attacker", task("x0"));
  // 200 of one account queue up before the victim's one arrives.
  for (int i = 1; i <= 200; ++i) scheduler.Submit("attacker", task("x" + std::to_string(i)));
  scheduler.Submit("victim", task("v1"));
  scheduler.Submit("other", task("o1"));
  EXPECT_EQ(scheduler.queued(), 202u);
  scheduler.Finished();  // x0 done: the attacker's next turn comes first (it queued first)
  scheduler.Finished();
  scheduler.Finished();
  scheduler.Finished();
  EXPECT_EQ(started, (std::vector<std::string>{"x0", "x1", "v1", "o1", "x2"}));
  EXPECT_EQ(scheduler.in_flight(), 1u);
  EXPECT_EQ(scheduler.queued(), 198u);
}

TEST(FairSchedulerTest, FinishedWithNothingQueuedFreesTheSlot) {
  FairScheduler scheduler(1);
  int runs = 0;
  scheduler.Submit("a", [&] { ++runs; });
  scheduler.Finished();
  EXPECT_EQ(scheduler.in_flight(), 0u);
  scheduler.Submit("b", [&] { ++runs; });
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(scheduler.in_flight(), 1u);
}

}  // namespace
}  // namespace flint::va
