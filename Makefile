# Top-level build and test entry points.
#   make        build the library (release), assemble the install tree in
#               build/install, then build and run examples/hello.c against it
#   make test   every test layer: Rust tests, ABI check, install-tree package
#               check (static linking too), perf smoke test, interop, the client
#               suites (pyzmq, czmq), and the C API tests (last, so the final line
#               is their summary)
#   make clean  remove build/ (cargo's target/ stays; use distclean for both)

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

CARGO ?= cargo
CC ?= cc
VERSION := 4.3.5
SOVERSION := 5
SOVERSION_FULL := 5.2.5
RELEASE_DIR := target/release
INSTALL_DIR := build/install
ABI_FILE ?= tests/abi/zmq-4.3.5.abi
CFLAGS_EXAMPLE := -std=c11 -Wall -Wextra -Werror
# 1: the client suites build pyzmq (from its sdist) and czmq with their draft API
# (their own known-failures lists, *-draft.txt); 0: without it.
CLIENTS_DRAFT ?= 1

.PHONY: all release install hello test cargo-test loom abi-check package-check \
        perf-smoke pyzmq-smoke clients capi-test draft-libzmq clean distclean

all: hello

release:
	$(CARGO) build --release

install: release
	@mkdir -p $(INSTALL_DIR)/lib/pkgconfig $(INSTALL_DIR)/include \
	  $(INSTALL_DIR)/share/cmake/ZeroMQ
	@test -f include/zmq.h || { echo "include/zmq.h is missing" >&2; exit 1; }
	install -m 644 include/zmq.h $(INSTALL_DIR)/include/zmq.h
	install -m 644 include/zmq_utils.h $(INSTALL_DIR)/include/zmq_utils.h
	install -m 755 $(RELEASE_DIR)/libzmq.so $(INSTALL_DIR)/lib/libzmq.so.$(SOVERSION_FULL)
	ln -sf libzmq.so.$(SOVERSION_FULL) $(INSTALL_DIR)/lib/libzmq.so.$(SOVERSION)
	ln -sf libzmq.so.$(SOVERSION) $(INSTALL_DIR)/lib/libzmq.so
	install -m 644 $(RELEASE_DIR)/libzmq.a $(INSTALL_DIR)/lib/libzmq.a
	@# The system libraries a Rust static library needs, as rustc reports them,
	@# less -lgcc_s: it has no static archive, so `gcc -static` cannot find it, and
	@# the compiler driver links the unwinder on its own anyway (libgcc_eh when
	@# linking statically, libgcc_s otherwise).
	@libs=$$(echo '' | rustc --crate-type staticlib --crate-name native_libs \
	  --print native-static-libs -o build/native-libs.a - 2>&1 \
	  | sed -n 's/.*native-static-libs: //p' | sed -e 's/\(^\| \)-lgcc_s\( \|$$\)/ /g' \
	  -e 's/^ *//' -e 's/ *$$//'); \
	rm -f build/native-libs.a; \
	test -n "$$libs" || { echo "could not learn rustc's native-static-libs" >&2; exit 1; }; \
	cmake_libs=$$(echo "$$libs" | sed 's/-l//g; s/ \+/;/g'); \
	sed -e 's|@VERSION@|$(VERSION)|g' -e "s|@LIBS_PRIVATE@|$$libs|g" \
	  cmake/libzmq.pc.in > $(INSTALL_DIR)/lib/pkgconfig/libzmq.pc; \
	for f in ZeroMQConfig ZeroMQConfigVersion; do \
	  if [ -f cmake/$$f.cmake.in ]; then \
	    sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(word 1,$(subst ., ,$(VERSION)))|g' \
	      -e 's|@SOVERSION@|$(SOVERSION)|g' -e 's|@SOVERSION_FULL@|$(SOVERSION_FULL)|g' \
	      -e "s|@STATIC_LINK_LIBS@|$$cmake_libs|g" \
	      cmake/$$f.cmake.in > $(INSTALL_DIR)/share/cmake/ZeroMQ/$$f.cmake; \
	  fi; \
	done
	@echo "install tree: $(INSTALL_DIR)"

# Compiled with the flags pkg-config gives for the install tree, run on it.
hello: install
	$(CC) $(CFLAGS_EXAMPLE) \
	  $$(PKG_CONFIG_PATH=$(INSTALL_DIR)/lib/pkgconfig pkg-config --cflags libzmq) \
	  -o build/hello examples/hello.c \
	  $$(PKG_CONFIG_PATH=$(INSTALL_DIR)/lib/pkgconfig pkg-config --libs libzmq)
	LD_LIBRARY_PATH=$(INSTALL_DIR)/lib build/hello

test: all
	@failed=""; \
	$(MAKE) --no-print-directory cargo-test || failed="$$failed cargo-test"; \
	$(MAKE) --no-print-directory loom || failed="$$failed loom"; \
	$(MAKE) --no-print-directory abi-check || failed="$$failed abi-check"; \
	$(MAKE) --no-print-directory package-check || failed="$$failed package-check"; \
	$(MAKE) --no-print-directory perf-smoke || failed="$$failed perf-smoke"; \
	$(MAKE) --no-print-directory draft-libzmq || failed="$$failed draft-libzmq"; \
	if [ -e $(DRAFT_LIB) ]; then export ZMQ_DRAFT_LIB=$(CURDIR)/$(DRAFT_LIB); fi; \
	bash interop/check.sh $(RELEASE_DIR) || failed="$$failed interop"; \
	$(MAKE) --no-print-directory pyzmq-smoke || failed="$$failed pyzmq-smoke"; \
	$(MAKE) --no-print-directory clients || failed="$$failed clients"; \
	$(MAKE) --no-print-directory capi-test || failed="$$failed capi-test"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi

# The reference libzmq built with its draft API (Debian's libzmq5 has none), for the
# draft interop rows and the C tests marked "// libzmq-draft: ok".
DRAFT_LIB := build/draft-libzmq/libzmq.so.5
draft-libzmq:
	@echo "== reference libzmq with its draft API"
	@python3 tests/clients/draft_libzmq.py

cargo-test:
	@echo "== cargo test --release"
	@$(CARGO) test --release -q 2>&1 \
	  | sed -e '/^$$/d' -e '/^running 0 tests/d' -e '/test result: ok. 0 passed/d'

# The wake-up protocol (src/signal/wake.rs) model-checked with loom: a crate of its
# own (tests/loom), so the library never depends on loom.
loom:
	@echo "== loom model of the wake-up protocol"
	@cd tests/loom && RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=$(CURDIR)/target/loom \
	  $(CARGO) test --release -q 2>&1 \
	  | sed -e '/^$$/d' -e '/^running 0 tests/d' -e '/test result: ok. 0 passed/d'

abi-check:
	@echo "== ABI check"
	@for f in tests/abi/check.py $(ABI_FILE); do \
	  test -f $$f || { echo "abi-check: $$f is missing" >&2; exit 1; }; \
	done
	@python3 tests/abi/check.py $(ABI_FILE) include $(RELEASE_DIR)/libzmq.so

# The install tree as a user links it: find_package(ZeroMQ) with the libzmq and
# libzmq-static targets (the latter also with -static), and pkg-config --static
# with gcc -static. Each program runs; the static ones must need no shared library.
package-check:
	@echo "== CMake package and static linking"
	@command -v cmake >/dev/null || { echo "package-check: cmake is not installed" >&2; exit 1; }
	@command -v pkg-config >/dev/null || { echo "package-check: pkg-config is not installed" >&2; exit 1; }
	@rm -rf build/package-check; log=build/package-check.log; \
	pc="PKG_CONFIG_PATH=$(INSTALL_DIR)/lib/pkgconfig pkg-config"; \
	{ cmake -S examples/cmake -B build/package-check \
	    -DCMAKE_PREFIX_PATH=$(CURDIR)/$(INSTALL_DIR) && \
	  cmake --build build/package-check && \
	  LD_LIBRARY_PATH=$(INSTALL_DIR)/lib build/package-check/hello && \
	  build/package-check/hello-static && \
	  build/package-check/hello-fully-static && \
	  $(CC) -static -o build/package-check/hello-pkgconfig-static examples/hello.c \
	    $$(env $$pc --static --cflags --libs libzmq) && \
	  build/package-check/hello-pkgconfig-static && \
	  { ! readelf -d build/package-check/hello-fully-static \
	      build/package-check/hello-pkgconfig-static | grep NEEDED || \
	    { echo "a static program needs shared libraries (above)"; false; }; }; \
	} > $$log 2>&1 && \
	echo "ok: targets libzmq, libzmq-static (also -static), and gcc -static with pkg-config --static" || \
	{ cat $$log; exit 1; }

perf-smoke:
	@echo "== perf smoke"
	@bash perf/smoke.sh
	@echo "== perf/compare runs (one round, two rows; speed is never judged)"
	@# The output is captured whole: a reader that stops early (grep -q) would
	@# make compare die of SIGPIPE, which pipefail reports as a failure.
	@out=$$(perf/compare --quick --rounds 1 --no-build --only 'inproc 16 B|tcp 16 B') \
	  || { echo "$$out"; echo "perf/compare failed" >&2; exit 1; }; \
	grep -q 'ours/libzmq' <<<"$$out" || { echo "$$out"; echo "perf/compare printed no table" >&2; exit 1; }

pyzmq-smoke:
	@echo "== pyzmq on this library (LD_PRELOAD)"
	@LD_PRELOAD=$(CURDIR)/$(RELEASE_DIR)/libzmq.so.5 /usr/bin/python3 tests/pyzmq/smoke.py

# Real clients' own test suites on the install tree, each against its committed
# list of known failures (tests/clients/README.md): pyzmq built from its sdist,
# pyzmq's binary wheel under LD_PRELOAD, and czmq's selftest.
clients: install
	@failed=""; draft=$(if $(filter 1,$(CLIENTS_DRAFT)),--draft); \
	python3 tests/clients/pyzmq_suite.py --mode sdist $$draft || failed="$$failed pyzmq-sdist"; \
	python3 tests/clients/pyzmq_suite.py --mode wheel || failed="$$failed pyzmq-wheel"; \
	python3 tests/clients/czmq_suite.py $$draft || failed="$$failed czmq"; \
	if [ -n "$$failed" ]; then echo "clients: FAILED:$$failed"; exit 1; fi

capi-test:
	@echo "== C API tests"
	@capi-tests/run.sh

clean:
	rm -rf build

distclean: clean
	$(CARGO) clean
