// The test binary's entry point. With AUTOLR_TEST_WORKER=distributed it is
// not the test suite but one rank of a distributed test (distributed_test.cpp
// starts it so); with =snapshot, a process holding a disk snapshot for the
// signal tests (snapshot_file_test.cpp). This keeps the suite to one executable.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace autolr::test {
int run_distributed_worker();
int run_snapshot_worker();
}

int main(int argc, char** argv) {
  if (const char* worker = std::getenv("AUTOLR_TEST_WORKER"); worker && std::string(worker) == "distributed")
    return autolr::test::run_distributed_worker();
  if (const char* worker = std::getenv("AUTOLR_TEST_WORKER"); worker && std::string(worker) == "snapshot")
    return autolr::test::run_snapshot_worker();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
