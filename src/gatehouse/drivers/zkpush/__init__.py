"""ZKTeco PUSH driver: Security PUSH ("acc") and Attendance PUSH / ADMS ("att")."""
