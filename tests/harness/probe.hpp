// probe: start the student's program, talk to it over loopback, and say in plain words what
// happened.
//
// Every step a test takes is written to a transcript (connected, sent, received, what the program
// printed). When a test case fails, the transcript is printed after the failure, so the student can
// read the whole conversation. Steps that cannot complete throw probe::Failure with one sentence on
// the likely cause. Every wait has a deadline; nothing here sleeps to synchronise.
//
// This is the one header a lesson's tests include. The harness is built in layers, each in a header
// of its own under probe/ (and a .cpp of the same name), each using only the ones above it:
//   probe/common.hpp      Failure, deadlines (scaled, step_deadline), escaping bytes for display
//   probe/transcript.hpp  the transcript of a test case (log, transcript, clear_transcript)
//   probe/process.hpp     the program under test (Program, ExitStatus, Faults, program_under_test)
//   probe/tcp.hpp         TCP: Endpoint, Connection, Listener, ClosedPort, port_can_be_bound
//   probe/udp.hpp         a UDP socket of the test's own (UdpSocket)
//   probe/random.hpp      seeded random values (Random)
// and protocol helpers on top of Connection:
//   probe/frames.hpp      length-prefixed frames (frame, receive_frame)
//   probe/http.hpp        HTTP/1.x (http_request, receive_http_response, HttpResponse)
// probe/internal.hpp holds what the layers share among themselves; tests never include it.
#pragma once

// First: process.hpp includes <regex> in a way that keeps g++'s false warnings out (see there).
#include "probe/process.hpp"

#include "probe/common.hpp"
#include "probe/frames.hpp"
#include "probe/http.hpp"
#include "probe/random.hpp"
#include "probe/tcp.hpp"
#include "probe/transcript.hpp"
#include "probe/udp.hpp"
