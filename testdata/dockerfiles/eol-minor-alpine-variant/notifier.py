import schedule, time, requests

def ping():
    requests.get("http://localhost:8080/health", timeout=5)

schedule.every(1).minutes.do(ping)
while True:
    schedule.run_pending()
    time.sleep(1)
