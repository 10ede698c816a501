import json
import os

from telegram.ext import ApplicationBuilder, CommandHandler

# the chats to notify, kept in the working directory next to the script
with open("state.json") as f:
    state = json.load(f)


async def subscribe(update, context):
    state.setdefault("chats", []).append(update.effective_chat.id)
    with open("state.json", "w") as f:
        json.dump(state, f)


app = ApplicationBuilder().token(os.environ["BOT_TOKEN"]).build()
app.add_handler(CommandHandler("subscribe", subscribe))
app.run_polling()
