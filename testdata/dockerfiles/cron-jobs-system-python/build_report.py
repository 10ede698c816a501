import pandas as pd

pd.DataFrame({"day": [1]}).to_excel("/tmp/report.xlsx")
