// workbook-sandbox: runs one untrusted program (a student's compile step or test run) confined,
// and says what happened. See README.md in this folder for the interface and the mechanism.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "doctor.hpp"
#include "options.hpp"
#include "report.hpp"
#include "supervisor.hpp"
#include "system.hpp"

namespace {

constexpr int ran = 0;
constexpr int usage_error = 2;
constexpr int internal_error = 3;

void write_internal_report(const std::optional<std::filesystem::path>& file,
                           const std::string& message) {
    if (!file) return;
    try {
        sandbox::Report report;
        report.message = message;
        sandbox::write_report(report, file);
    } catch (const std::exception&) {
        // Nowhere else to say it: the message is on stderr already.
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::filesystem::path> report_file;
    try {
        sandbox::remember_command_line(argc, argv);
        sandbox::ensure_standard_descriptors();
        // A closed reader of our stdout must be an error we report, not a silent death.
        ::signal(SIGPIPE, SIG_IGN);
        const sandbox::Parsed parsed = sandbox::parse_options(argc, argv);
        if (parsed.exit_now) return ran;
        const sandbox::Options& options = parsed.options;
        if (options.doctor) return sandbox::run_doctor(options.json);
        report_file = options.report_file;

        const sandbox::Report report = sandbox::run_confined(options);
        sandbox::write_report(report, options.report_file);
        return report.outcome == sandbox::Outcome::internal ? internal_error : ran;
    } catch (const sandbox::UsageError& e) {
        std::cerr << "workbook-sandbox: " << e.what()
                  << "\n(workbook-sandbox --help lists the options)\n";
        // Once --report is known, a caller that only reads reports still learns what went wrong.
        write_internal_report(report_file, std::string("usage error: ") + e.what());
        return usage_error;
    } catch (const std::exception& e) {
        std::cerr << "workbook-sandbox: internal error: " << e.what() << "\n";
        return internal_error;
    }
}
