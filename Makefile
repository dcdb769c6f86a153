# shmkit — build, test, demo and benchmark entry points.
# Every target that runs Java finds a JDK 25+ by itself (scripts/find-jdk); the system's
# default Java 17 is never used.

SHELL := /bin/bash
.DEFAULT_GOAL := build

JDK_HOME = $(shell scripts/find-jdk)
MVN = JAVA_HOME="$(JDK_HOME)" MAVEN_OPTS="$$MAVEN_OPTS --sun-misc-unsafe-memory-access=allow" mvn -B --no-transfer-progress -Dstyle.color=never
GEN_DIR := native-bindings/src/main/java/dev/shmkit/internal/nativeaccess/gen
BENCH_ARGS ?=
# Extra jcstress options for test-jcstress / stress-jcstress, e.g. JCSTRESS_ARGS="-t Wakeup"
JCSTRESS_ARGS ?=

.PHONY: build test stress test-jcstress stress-jcstress demo bench bindings clean jdk

jdk:
	@scripts/find-jdk >/dev/null

## build: compile every module and produce bin/shmkit
build: jdk
	$(MVN) -q -DskipTests package
	scripts/make-launcher "$(JDK_HOME)"

## test: build, run every test (JUnit across real processes, shell demos, jcstress short mode), then check for leaks
test: build
	scripts/leak-snapshot > target-leaks-before.txt
	$(MVN) verify
	scripts/jcstress short
	scripts/leak-snapshot > target-leaks-after.txt
	@if comm -13 target-leaks-before.txt target-leaks-after.txt | grep .; then \
	  echo "FAILED: the test suite left the named objects above behind" >&2; exit 1; fi
	@rm -f target-leaks-before.txt target-leaks-after.txt
	@echo "make test: all tests passed and nothing was left in /dev/shm, /dev/mqueue or ipcs"

## stress: the long proofs of the rings (issue 10): 1,000 producer and 1,000 consumer kill -9s,
## 10,000 fuzzed headers, then jcstress in its default mode; the counts go to docs/reliability.md by hand
STRESS_KILLS ?= 1000
STRESS_FUZZ ?= 10000
stress: build
	scripts/leak-snapshot > target-leaks-before.txt
	$(MVN) -pl rings -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest='RingKillLoopTest,RingFuzzTest' \
	  -Dshmkit.stress.kills=$(STRESS_KILLS) -Dshmkit.stress.fuzz=$(STRESS_FUZZ) verify
	@grep -h -E '^(producer-kills|consumer-kills|fuzz)' rings/target/surefire-reports/*-output.txt || true
	scripts/leak-snapshot > target-leaks-after.txt
	@if comm -13 target-leaks-before.txt target-leaks-after.txt | grep .; then \
	  echo "FAILED: the stress run left the named objects above behind" >&2; exit 1; fi
	@rm -f target-leaks-before.txt target-leaks-after.txt
	scripts/jcstress long $(JCSTRESS_ARGS)

## test-jcstress: the jcstress memory-model tests of SharedRing alone, short mode (what make test runs; ~1 min)
test-jcstress: build
	scripts/jcstress short $(JCSTRESS_ARGS)

## stress-jcstress: the jcstress tests, long mode: default mode over the VM configurations jcstress detects (~30 min; build/jcstress/long)
stress-jcstress: build
	scripts/jcstress long $(JCSTRESS_ARGS)

## demo: build everything and run the showcase (two JVM processes sharing a segment)
demo: build
	bin/shmkit-java dev.shmkit.demos.SharedSegmentShowcase

## bench: JMH benchmarks plus the cross-process and Python comparisons (docs/benchmarks.md)
bench: build
	scripts/bench $(BENCH_ARGS)

## bindings: regenerate the jextract bindings from native-bindings/jextract (needs jextract on PATH)
bindings:
	@command -v jextract >/dev/null || { echo "make bindings needs jextract on PATH (see docs/bindings.md)" >&2; exit 1; }
	rm -rf $(GEN_DIR)
	jextract -D _GNU_SOURCE --output native-bindings/src/main/java \
	  --target-package dev.shmkit.internal.nativeaccess.gen --header-class-name LibcH \
	  @native-bindings/jextract/includes.txt native-bindings/jextract/shmkit.h

clean:
	-$(MVN) -q clean
	rm -rf bin/shmkit bin/shmkit-java build target-leaks-*.txt
