#!/bin/sh
set -e
cd "$GITHUB_WORKSPACE"
ruff check "$@" > ruff-report.txt
