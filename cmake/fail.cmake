# cmake -DMESSAGE=... -P fail.cmake: a test that fails and says why.
message(FATAL_ERROR "${MESSAGE}")
