#include <orch/cli/main.hpp>

int main(int argc, char** argv) { return orch::cli::main(argc, argv); }
