import logging

import click
import requests

# the run's log goes next to the script, in the working directory
logging.basicConfig(filename="fetch.log", level=logging.INFO)


@click.command()
@click.option("--url", default="https://example.org/")
def main(url):
    logging.info("%s: %s", url, requests.get(url, timeout=10).status_code)


if __name__ == "__main__":
    main()
