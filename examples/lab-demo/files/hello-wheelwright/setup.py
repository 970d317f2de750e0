from setuptools import setup

setup(
    name="hello-wheelwright",
    version="1.0",
    py_modules=["hello_wheelwright"],
    entry_points={"console_scripts": ["hello-wheelwright = hello_wheelwright:main"]},
)
