#!/usr/bin/env bats
# dockerfile-plan.bats: 'kiln debug plan' shows the stages a build runs, as
# BuildKit plans them: build args and ARG scopes, expansion, --target
# pruning, one-line "FILE:LINE: what" errors and the unused-build-arg warning.

load helpers

# the features of the kiln under test, as 'kiln version' lists them
has_feature() {
	"$KILN" version | grep -q "^features:.* $1\( \|\$\)"
}

setup() {
	has_feature DEBUG_CMD || skip "CONFIG_DEBUG_CMD is off in this build"
	cd "$BATS_TEST_TMPDIR"
}

# df TEXT: writes Dockerfile from a printf format
df() {
	printf "$1" > Dockerfile
}

# a failing plan: exit 2 and exactly the one line given
fails_with() {
	echo "$output"
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "$1" ]
}

multistage() {
	cat > Dockerfile <<'XEOF'
# syntax=docker/dockerfile:1
ARG GO=1.22
FROM golang:${GO} AS build
ARG VERSION=dev
ENV CGO_ENABLED=0
RUN go build -ldflags "-X main.version=$VERSION" -o /out/app .
WORKDIR /src/$VERSION

FROM build AS test
RUN go test ./...

FROM alpine:3.20
COPY --from=build /out/app /usr/bin/app
LABEL version=$VERSION
CMD ["app"]
XEOF
}

@test "a multi-stage build: stages in order, expanded, with the args each used" {
	multistage
	run kiln debug plan --platform linux/amd64 --build-arg VERSION=1.4
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'stage 0 "build" FROM golang:1.22 (platform linux/amd64) level 0' ]
	[ "${lines[1]}" = '     3 FROM args: GO=1.22' ]
	[ "${lines[2]}" = '     4 ARG VERSION=1.4' ]
	[ "${lines[4]}" = '     6 RUN go build -ldflags "-X main.version=$VERSION" -o /out/app .  (args: VERSION=1.4)' ]
	[ "${lines[5]}" = '     7 WORKDIR /src/1.4  (args: VERSION=1.4)' ]
	[ "${lines[6]}" = 'stage 2 FROM alpine:3.20 (platform linux/amd64) level 1 needs 0 target' ]
	[ "${lines[7]}" = '    13 COPY --from=build /out/app /usr/bin/app  (from stage 0 "build")' ]
	# VERSION is not declared in the last stage
	[ "${lines[8]}" = '    14 LABEL version=""' ]
	[ "${lines[10]}" = 'skipped stage 1 "test" FROM stage 0 "build" (platform linux/amd64)' ]
}

@test "--target keeps what the target needs and lists the rest as skipped" {
	multistage
	run kiln debug plan --target TEST
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 'stage 0 "build" FROM golang:1.22 (platform linux/'* ]]
	[[ "$output" == *'stage 1 "test" FROM stage 0 "build" (platform '*') level 1 needs 0 target'* ]]
	[[ "$output" == *"skipped stage 2 FROM alpine:3.20"* ]]
}

@test "the default platform is the machine's own, TARGET* default to BUILD*" {
	df 'FROM alpine\nARG TARGETPLATFORM BUILDPLATFORM\n'
	run kiln debug plan
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^'stage 0 FROM alpine (platform linux/'[a-z0-9]+(/v[0-9])?') level 0 target'$ ]]
	platform=${lines[0]#*platform }
	platform=${platform%%)*}
	[ "${lines[1]}" = "     2 ARG TARGETPLATFORM=$platform BUILDPLATFORM=$platform" ]
}

@test "platform args: global for FROM, per stage only after ARG" {
	df 'FROM --platform=$BUILDPLATFORM golang AS build\nENV A=[$TARGETARCH]\nARG TARGETARCH\nENV B=[$TARGETARCH]\nFROM alpine\nCOPY --from=build /a /a\n'
	run kiln debug plan --platform linux/arm64 --build-platform linux/amd64
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'stage 0 "build" FROM golang (platform linux/amd64) level 0' ]
	[ "${lines[2]}" = '     2 ENV A=[]' ]
	[ "${lines[3]}" = '     3 ARG TARGETARCH=arm64' ]
	[ "${lines[4]}" = '     4 ENV B=[arm64]  (args: TARGETARCH=arm64)' ]
	[ "${lines[5]}" = 'stage 1 FROM alpine (platform linux/arm64) level 1 needs 0 target' ]
}

@test "several --platform values: one plan each" {
	df 'FROM alpine\nARG TARGETARCH TARGETVARIANT\n'
	run kiln debug plan --platform linux/amd64,linux/arm/v7
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '# platform linux/amd64' ]
	[ "${lines[2]}" = '     2 ARG TARGETARCH=amd64 TARGETVARIANT=""' ]
	[ "${lines[3]}" = '# platform linux/arm/v7' ]
	[ "${lines[5]}" = '     2 ARG TARGETARCH=arm TARGETVARIANT=v7' ]
}

@test "--build-arg NAME takes the value from the environment" {
	df 'FROM alpine\nARG V=default W=default\nUSER $V:$W\n'
	V=from-env run kiln debug plan --build-arg V --build-arg W
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = '     3 USER from-env:default  (args: V=from-env W=default)' ]
}

@test "ENV overrides an ARG for the lines after it; an ARG after ENV wins" {
	df 'FROM alpine\nARG V=arg\nENV V=env\nUSER $V\nARG V=again\nUSER $V\n'
	run kiln debug plan
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = '     4 USER env' ]
	[ "${lines[5]}" = '     6 USER again  (args: V=again)' ]
}

@test "build args nothing consumed: one warning line on stderr" {
	df 'ARG USED\nFROM alpine\nARG ALSO\nRUN true\n'
	kiln debug plan --build-arg USED=1 --build-arg ALSO=2 --build-arg NOPE=3 \
		--build-arg ZED=4 --build-arg HTTP_PROXY=http://proxy:3128 > out 2> err
	cat out err
	[ "$(cat err)" = 'kiln: warning: One or more build-args [NOPE ZED] were not consumed' ]
	grep -q 'ARG ALSO=2' out
	# all consumed: no warning at all
	kiln debug plan --build-arg USED=1 2> err > /dev/null
	[ ! -s err ]
}

@test "JSON for tools" {
	multistage
	run kiln debug plan --json --platform linux/arm64 --build-arg VERSION=2 --build-arg X=1
	[ "$status" -eq 0 ]
	echo "$output" | grep -v '^kiln: warning' > plan.json
	[ "$(jq -r '.platform' plan.json)" = "linux/arm64" ]
	[ "$(jq -c '.order' plan.json)" = "[0,2]" ]
	[ "$(jq -c '.skipped' plan.json)" = "[1]" ]
	[ "$(jq -r '.stages[0].name' plan.json)" = "build" ]
	[ "$(jq -r '.stages[2].baseImage' plan.json)" = "alpine:3.20" ]
	[ "$(jq -r '.stages[0].instructions[3].words[0]' plan.json)" = "/src/2" ]
	[ "$(jq -c '.stages[0].instructions[2].args' plan.json)" = '[{"name":"VERSION","value":"2"}]' ]
	[ "$(jq -c '.stages[2].instructions[0].from' plan.json)" = '{"stage":0}' ]
	[ "$(jq -c '.unusedBuildArgs' plan.json)" = '["X"]' ]
}

@test "standard input" {
	run kiln debug plan -f - <<< 'FROM busybox AS b'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 'stage 0 "b" FROM busybox (platform '* ]]
}

@test "a failed expansion names the file and line" {
	df 'FROM alpine\n\nUSER ${NAME:?must be set}\n'
	run kiln debug plan
	fails_with "kiln: debug: Dockerfile:3: cannot expand '\${NAME:?must be set}': NAME: must be set"
	# the build arg is only seen once an ARG declares it
	run kiln debug plan --build-arg NAME=x
	[ "$status" -eq 2 ]
	df 'FROM alpine\nARG NAME\nUSER ${NAME:?must be set}\n'
	run kiln debug plan --build-arg NAME=x
	[ "$status" -eq 0 ]
	[[ "$output" == *'USER x  (args: NAME=x)'* ]]
}

@test "a stage the target does not need is not expanded" {
	df 'FROM alpine AS check\nUSER ${TOKEN:?set TOKEN}\nFROM alpine AS app\n'
	run kiln debug plan
	[ "$status" -eq 0 ]
	run kiln debug plan --target check
	fails_with "kiln: debug: Dockerfile:2: cannot expand '\${TOKEN:?set TOKEN}': TOKEN: set TOKEN"
}

@test "stage graph errors come with their line" {
	df 'FROM alpine AS a\nFROM alpine AS b\nFROM alpine AS A\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:3: duplicate stage name "a" (first defined on line 1): stage names must be unique'

	df 'FROM alpine AS a\nRUN true\nCOPY --from=a /x /y\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:3: circular dependency detected on stage: a'

	df 'FROM alpine AS a\nCOPY --from=b /x /y\nFROM alpine AS b\nCOPY --from=a /x /y\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:4: circular dependency detected on stage: a'

	df 'FROM alpine AS a\nCOPY --from=b /x /y\nFROM alpine AS b\n'
	run kiln debug plan --target a
	fails_with 'kiln: debug: Dockerfile:2: cannot copy from stage "b", it needs to be defined before current stage "a"'

	df 'FROM alpine\nCOPY --from=1 /x /y\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:2: invalid stage index 1'

	df 'FROM later\nFROM alpine AS later\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:1: stage "later" is used before it is defined (on line 2): FROM can only build on an earlier stage'

	df 'ARG S=a\nFROM alpine AS a\nFROM alpine\nCOPY --from=$S /x /y\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:4: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround'
}

@test "an unknown --target lists the stages" {
	multistage
	run kiln debug plan --target deploy
	fails_with 'kiln: debug: target stage "deploy" could not be found (stages: build, test)'
}

@test "bad platforms" {
	df 'FROM --platform=linux/arm/v7/x alpine\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:1: failed to parse platform linux/arm/v7/x: "linux/arm/v7/x": cannot parse platform specifier'
	df 'ARG P\nFROM --platform=$P alpine\n'
	run kiln debug plan
	fails_with 'kiln: debug: Dockerfile:2: empty platform value from expression $P'
	df 'FROM alpine\n'
	run kiln debug plan --platform nonsense
	fails_with 'kiln: debug: --platform: "nonsense": unknown operating system or architecture'
}

@test "a stage built FROM another runs that stage's ONBUILD lines first" {
	df 'FROM alpine AS base\nARG V=1\nONBUILD RUN echo $V\nFROM base\nRUN own\n'
	run kiln debug plan
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'     4 (onbuild) RUN echo $V  (args: V=1)'* ]]
	[[ "$output" == *'     5 RUN own  (args: V=1)'* ]]
}

@test "10,000 instructions plan fast" {
	{
		echo 'ARG G=1'
		for s in $(seq 0 499); do
			if [ "$s" -eq 0 ]; then echo "FROM scratch AS s0"; else echo "FROM alpine:\$G AS s$s"; fi
			echo "ARG A=$s"
			for k in 1 2 3 4 5 6; do
				echo "ENV E$k=\$A-$k"
				[ "$s" -eq 0 ] || echo "COPY --from=s$((s - 1)) /x /y/\$E$k"
				echo "RUN --mount=type=cache,target=/c/\$A echo $k"
			done
			echo "WORKDIR /w/\$A"
		done
	} > Dockerfile
	[ "$(grep -c . Dockerfile)" -ge 9900 ]
	start=$(date +%s%N)
	kiln debug plan > out
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000000 )) ms"
	grep -q '^stage 499 "s499" FROM alpine:1' out
	# generous for slow machines; a quadratic planner takes seconds
	[ $(( (end - start) / 1000000 )) -lt 1000 ]
}
