// workbook-sandbox --doctor: what isolation this machine offers, as root and as an ordinary user,
// and what each limit relies on. Everything is tried for real (namespaces are created, cgroups
// are made and removed, and /bin/true is run in a real sandbox), nothing is guessed from versions.
#pragma once

namespace sandbox {

// Prints the findings (plain lines, or JSON) on stdout. Returns the exit status: 0.
int run_doctor(bool json);

}  // namespace sandbox
