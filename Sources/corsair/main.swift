print("corsair")
