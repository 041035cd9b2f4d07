package handoff_test

import (
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

type tgbotapiUpdate = tgbotapi.Update

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
