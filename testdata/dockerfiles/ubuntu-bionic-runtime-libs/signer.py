from cryptography.fernet import Fernet
import psycopg2

print(Fernet.generate_key().decode())
