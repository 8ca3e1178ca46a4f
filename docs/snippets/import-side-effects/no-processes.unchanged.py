# A module that starts no process: its import-time output is nobody's concern here.
print("hello")
