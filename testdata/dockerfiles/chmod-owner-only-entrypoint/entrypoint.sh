#!/bin/sh
exec flask --app board run --host 0.0.0.0
