import argparse
import os

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="results")
args = parser.parse_args()

frame = pd.read_csv("samples/input.csv")
os.makedirs(args.out, exist_ok=True)
frame.describe().to_csv(os.path.join(args.out, "summary.csv"))
